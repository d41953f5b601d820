import Foundation
import Testing

/// The chunked log store through the built jcrun (issue #4): a long output
/// comes back whole with its overlong line in pieces and its bytes that are
/// not UTF-8, and `jcrun log --follow` sees a line while the build runs.
@Suite struct LogStorageTests {
    static let long = """
        jobs:
          - id: long
            command: |
              seq 1 50000
              head -c 70000 /dev/zero | tr '\\0' y; echo
              printf 'a\\377b\\n'
              echo "@log warning done"

        """

    @Test func aLongOutputIsStoredWholeAndInPieces() throws {
        let project = try TestProject(["long.yaml": Self.long])
        defer { project.remove() }
        #expect(try project.run(["long", "-q"]).status == 0)
        let json = try project.run(["--json", "log", "long"])
        let entries = try TestProject.jsonLines(json.stdout)
        #expect(entries.count == 50_000 + 2 + 2)
        #expect(entries.map { $0["seq"] as? Int } == (1...50_004).map { $0 })
        #expect(entries[49_999]["text"] as? String == "50000")
        let pieces = entries[50_000...50_001].map { ($0["text"] as? String ?? "").utf8.count }
        #expect(pieces == [65_536, 70_000 - 65_536])
        #expect(entries[50_000...50_001].map { $0["continued"] as? Bool } == [true, false])
        #expect(entries[50_002]["text"] as? String == "a\u{FFFD}b")
        // The plain log shows which byte was not UTF-8 (it showed U+FFFD).
        let plain = try project.run(["log", "long"]).stdout.split(separator: "\n")
        #expect(plain[50_002].hasSuffix(" stdout info     a\\xffb"))
        let tail = try project.run(["log", "long", "--level", "warning"])
        #expect(tail.stdout.hasSuffix(" jcrun  warning  done\n"))
        #expect(tail.stdout.split(separator: "\n").count == 1)
    }

    static let waiting = """
        jobs:
          - id: waits
            command: 'echo first; while [ ! -e go ]; do sleep 0.05; done; echo second'

        """

    @Test func followSeesALineWhileTheBuildRuns() throws {
        let project = try TestProject(["waits.yaml": Self.waiting])
        defer { project.remove() }
        let build = try RunnerSafetyTests.start(["waits", "-q"], in: project)
        defer { if build.isRunning { kill(build.processIdentifier, SIGKILL) } }
        var tries = 0
        while tries < 600, !(try project.run(["builds"]).stdout.contains(" waits ")) {
            tries += 1
            Thread.sleep(forTimeInterval: 0.05)
        }
        let output = Pipe()
        let follow = try RunnerSafetyTests.start(["log", "waits", "--follow"], in: project, stdout: output)
        defer { if follow.isRunning { kill(follow.processIdentifier, SIGKILL) } }

        // The build cannot end before `go` exists: "first" must come while it runs.
        var seen = ""
        let reader = output.fileHandleForReading
        while !seen.contains("first\n") {
            let data = reader.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        #expect(seen.contains(" stdout info     first\n"))
        #expect(build.isRunning)
        FileManager.default.createFile(atPath: project.dir.appendingPathComponent("go").path, contents: nil)
        #expect(RunnerSafetyTests.wait(for: build, seconds: 60))
        #expect(RunnerSafetyTests.wait(for: follow, seconds: 60))
        seen += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        #expect(seen.hasSuffix(" stdout info     second\n"))
    }
}
