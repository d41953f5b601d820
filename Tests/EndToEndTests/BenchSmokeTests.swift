import Foundation
import Testing

/// Checks that `bench/run --quick --dry-run` still generates every workload
/// and that each installed tool, jcrun included, accepts what it generated.
/// It times nothing: benchmarks are never part of the test suite.
@Suite struct BenchSmokeTests {
    /// The repository: three folders above this file.
    static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func quickDryRunGeneratesEveryWorkload() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.repository.appendingPathComponent("bench/run").path, "--quick", "--dry-run"]
        process.currentDirectoryURL = Self.repository
        var environment: [String: String] = ProcessInfo.processInfo.environment
        environment["JCRUN_BIN"] = Jcrun.binary.path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data: Data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0, "bench/run --quick --dry-run said:\n\(text)")
        #expect(text.contains("bench: dry run done: every workload generated"))
    }
}
