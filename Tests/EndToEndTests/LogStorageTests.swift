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
        #expect(tail.stdout.hasSuffix(" log    warning  done\n"))
        #expect(tail.stdout.split(separator: "\n").count == 1)
    }

    /// `show-build`'s tail of 20 lines counts a line stored in 64 KiB pieces
    /// once, its pieces joined (it counted the three pieces as three lines).
    @Test func showBuildsTailCountsALongLineOnce() throws {
        let project = try TestProject([
            "a.yaml": """
                jobs:
                  - id: a
                    command: |
                      seq 1 30
                      head -c 140000 /dev/zero | tr '\\0' y; echo
                      printf 'a\\377b\\n'
                      echo "@log warning done"

                """
        ])
        defer { project.remove() }
        #expect(try project.run(["a", "-q"]).status == 0)
        let long = String(repeating: "y", count: 140_000)
        let numbers = (14...30).map { "    \($0)\n" }.joined()
        let shown = try project.run(["show-build", "a"]).stdout
        #expect(
            shown.hasSuffix(
                "  log (last 20 lines; all: jcrun log #1)\n" + numbers
                    + "    \(long)\n    a\\xffb\n    done\n"), "\(shown.suffix(300))")
        let json = try JSONSerialization.jsonObject(
            with: Data(try project.run(["show-build", "a", "--json"]).stdout.utf8)) as? [String: Any]
        let tail = json?["log_tail"] as? [String] ?? []
        #expect(tail == (14...30).map(String.init) + [long, "a\u{FFFD}b", "done"])
    }

    /// Each line's leading time stamp replaced by `T`.
    static func maskStamps(_ text: String) -> String {
        text.replacingOccurrences(
            of: #"(?m)^\d{4}-\d\d-\d\dT[0-9:.]+Z "#, with: "T ", options: .regularExpression)
    }

    /// `@log` entries have the stream `log`; jcrun's own warnings (a
    /// malformed directive) keep `jcrun`: `log`, `--stream`, `--json` and
    /// `-v --json`'s events tell them apart.
    @Test func atLogEntriesHaveAStreamOfTheirOwn() throws {
        let project = try TestProject([
            "a.yaml": """
                jobs:
                  - id: a
                    command: 'echo out; echo "@log warning disk almost full"; echo "@progress x"'

                """
        ])
        defer { project.remove() }
        let run = try project.run(["a", "-v", "--json"])
        let events = try TestProject.jsonLines(run.stdout).filter { $0["event"] as? String == "log" }
        #expect(events.map { $0["stream"] as? String } == ["stdout", "log", "stdout", "jcrun"])
        let malformed = "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got 'x'"
        let plain = try project.run(["log", "a"]).stdout
        #expect(
            Self.maskStamps(plain) == """
                T stdout info     out
                T log    warning  disk almost full
                T stdout info     @progress x
                T jcrun  warning  \(malformed)

                """)
        #expect(
            Self.maskStamps(try project.run(["log", "a", "--stream", "log"]).stdout)
                == "T log    warning  disk almost full\n")
        #expect(
            Self.maskStamps(try project.run(["log", "a", "--stream", "jcrun"]).stdout)
                == "T jcrun  warning  \(malformed)\n")
        let json = try TestProject.jsonLines(try project.run(["log", "a", "--json"]).stdout)
        #expect(json.map { $0["stream"] as? String } == ["stdout", "log", "stdout", "jcrun"])
        let wrong = try project.run(["log", "a", "--stream", "logs"])
        #expect(wrong.status == 2)
        #expect(
            wrong.stderr == "jcrun: error: option '--stream' expects one of stdout, stderr, jcrun,"
                + " log, got 'logs'; did you mean 'log'?\n")
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
