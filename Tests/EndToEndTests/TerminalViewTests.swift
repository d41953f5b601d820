import Foundation
import Glibc
import Testing

/// The live view, through a pseudo-terminal: what a developer sees.
struct TerminalViewTests {
    /// Runs jcrun with stderr on a pseudo-terminal and returns what it drew.
    static func runOnTerminal(
        _ arguments: [String], in dir: URL, typing input: String? = nil, columns: UInt16 = 100,
        environment extra: [String: String] = [:]
    ) throws -> (status: Int32, screen: String) {
        var master: Int32 = -1
        var slave: Int32 = -1
        var size = winsize(ws_row: 30, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw POSIXError(.ENOTTY) }
        let process = Process()
        process.executableURL = Jcrun.binary
        process.arguments = arguments
        process.currentDirectoryURL = dir
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "xterm"
        environment["NO_COLOR"] = nil
        environment.merge(extra) { $1 }
        process.environment = environment
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = input == nil ? FileHandle.nullDevice : terminal
        process.standardOutput = FileHandle.nullDevice
        process.standardError = terminal
        try process.run()
        close(slave)
        if let input {
            var bytes = Array(input.utf8)
            _ = write(master, &bytes, bytes.count)
        }
        var screen = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { break }  // EIO once jcrun has exited and closed the terminal
            screen += buffer[0..<count]
        }
        process.waitUntilExit()
        close(master)
        return (process.terminationStatus, String(decoding: screen, as: UTF8.self))
    }

    @Test func theLiveViewShowsAProgressTreeAndRedrawsInPlace() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: crawl
                command: |
                  for i in 1 2 3 4 5 6; do
                    echo "@progress $i/6 http://example.com/foo.zip :: downloading -- part $i"
                    echo "@progress 0/6 http://example.com/foo.zip :: extracting"
                    sleep 0.2
                  done

            """
        ])
        defer { project.remove() }
        let (status, screen) = try Self.runOnTerminal(["crawl"], in: project.dir)
        #expect(status == 0)
        #expect(screen.contains("crawl #1 "))
        #expect(screen.contains("running"))
        #expect(screen.contains("http://example.com/foo.zip"))
        #expect(screen.contains("|-- [") || screen.contains("'-- ["))
        #expect(screen.contains("downloading -- part"))
        #expect(screen.contains("\u{1B}[2K"))
        // Each frame after the first moves the cursor up over the previous one.
        #expect(screen.range(of: "\r\u{1B}\\[[0-9]+A", options: .regularExpression) != nil)
        #expect(screen.contains("1 built in"))
    }

    @Test func aProtectedJobAsksForItsIdOnATerminal() throws {
        let project = try TestProject(["main.yaml": Fixtures.protectedJob])
        defer { project.remove() }
        let (status, screen) = try Self.runOnTerminal(
            ["deploy"], in: project.dir, typing: "deploy\n")
        #expect(status == 0)
        #expect(screen.contains("'deploy' is protected. Type its id to build it: "))
        #expect(screen.contains("1 built in"))

        let (refused, answer) = try Self.runOnTerminal(
            ["deploy"], in: project.dir, typing: "nope\n")
        #expect(refused == 2)
        #expect(answer.contains("jcrun: error: not confirmed; nothing done"))
    }
}
