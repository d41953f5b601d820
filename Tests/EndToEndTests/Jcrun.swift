import Foundation
import Testing

/// Runs the built `jcrun` and captures what it printed.
struct Jcrun {
    /// The binary: `JCRUN_BIN`, else `jcrun` beside the test bundle.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["JCRUN_BIN"] {
            return URL(fileURLWithPath: path)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("jcrun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/jcrun")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `executable` (with `prefix` before the arguments) runs something else
    /// instead, a shell or `setpriv`; `$JCRUN` then names the binary.
    static func run(
        _ arguments: [String], in dir: URL? = nil, environment: [String: String] = [:],
        executable: String? = nil, prefix: [String] = []
    ) throws -> Result {
        let process = Process()
        process.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? binary
        process.arguments = prefix + arguments
        if let dir { process.currentDirectoryURL = dir }
        var env = ProcessInfo.processInfo.environment
        env["JCRUN"] = binary.path
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes concurrently so a chatty child cannot deadlock us.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

@Test func bareJcrunPrintsUsageAndExits2() throws {
    let result = try Jcrun.run([])
    #expect(result.status == 2)
    #expect(result.stderr.contains("usage"))
}
