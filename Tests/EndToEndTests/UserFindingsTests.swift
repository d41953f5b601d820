import Foundation
import Testing

/// What a new user found wrong in the built jcrun, each checked with its
/// exact output and exit status.
struct UserFindingsTests {
    static let jobs = """
        jobs:
          - id: c
            command: "echo c"
          - id: report
            command: "echo '@skip nothing new'"
          - id: quiet
            command: "echo '@skip'"
          - id: blank
            command: "echo '@retval'"

        """

    @Test(arguments: [
        (["5"], "jcrun: error: '5' is a build id; jcrun builds jobs by id (see 'jcrun builds')\n"),
        (
            ["build", "#5"],
            "jcrun: error: '#5' is a build id; jcrun builds jobs by id (see 'jcrun builds')\n"
        ),
        (
            ["why", "5"],
            "jcrun: error: '5' is a build id, not a job id (see 'jcrun show-build 5')\n"
        ),
        (["show-build", "0"], "jcrun: error: no build #0; 'jcrun builds' lists the stored builds\n"),
        (["show-build", "#0"], "jcrun: error: no build #0; 'jcrun builds' lists the stored builds\n"),
        (
            ["show-build", "99999999999999999999999"],
            "jcrun: error: no build #99999999999999999999999; 'jcrun builds' lists the stored builds\n"
        ),
        (["log", "7"], "jcrun: error: no build #7; 'jcrun builds' lists the stored builds\n"),
        (["delete", "0", "--yes"], "jcrun: error: no build #0; 'jcrun builds' lists the stored builds\n"),
        (["cc"], "jcrun: error: unknown job 'cc'; did you mean 'c'?\n"),
        (["reprot"], "jcrun: error: unknown job 'reprot'; did you mean 'report'?\n"),
        (["repo"], "jcrun: error: unknown job 'repo'; did you mean 'report'?\n"),
    ])
    func digitsAreBuildIdsAndShortIdsGetSuggestions(arguments: [String], stderr: String) throws {
        let project = try TestProject(["main.yaml": Self.jobs])
        defer { project.remove() }
        let result = try project.run(arguments)
        #expect(result.stderr == stderr)
        #expect(result.status == 2)
    }

    @Test func aSkipReasonIsShownAsSkippedNeverAsAnError() throws {
        let project = try TestProject(["main.yaml": Self.jobs])
        defer { project.remove() }
        #expect(try project.run(["build", "report", "quiet", "-q"]).status == 0)
        let shown = try project.run(["show-build", "report"]).stdout
        #expect(shown.contains("\n  skipped     nothing new\n"))
        #expect(!shown.contains("error"))
        let bare = try project.run(["show-build", "quiet"]).stdout
        #expect(!bare.contains("skipped  ") && !bare.contains("error"))
        #expect(!bare.split(separator: "\n").contains { $0.hasSuffix(" ") })
        let json = try TestProject.jsonLines(try project.run(["show-build", "report", "--json"]).stdout)
        #expect(json[0]["skip_reason"] as? String == "nothing new")
        #expect(json[0]["error"] is NSNull)
        let plain = try TestProject.jsonLines(try project.run(["show-build", "quiet", "--json"]).stdout)
        #expect(plain[0]["skip_reason"] is NSNull)
        // An empty return value is shown as "", not as an empty line.
        #expect(try project.run(["blank", "-q"]).status == 0)
        #expect(try project.run(["show-build", "blank"]).stdout.contains("\n  retval      \"\"\n"))
    }

    @Test func aRemovedJobsBuildsAreStillFoundByItsId() throws {
        let project = try TestProject(["main.yaml": Self.jobs])
        defer { project.remove() }
        #expect(try project.run(["c", "-q"]).status == 0)
        try Self.jobs.replacingOccurrences(of: "id: c\n", with: "id: d\n")
            .write(to: project.dir.appendingPathComponent("jobs.d/main.yaml"), atomically: true, encoding: .utf8)
        let shown = try project.run(["show-build", "c"])
        #expect(shown.status == 0)
        #expect(TestProject.maskTimes(shown.stdout).hasPrefix("#1 c  successful in T\n"))
        let log = try project.run(["log", "c"])
        #expect(log.status == 0)
        #expect(log.stdout.hasSuffix(" stdout info     c\n"))
        let unknown = try project.run(["show-build", "zz"])
        #expect(unknown.stderr == "jcrun: error: unknown job 'zz'\n")
        #expect(unknown.status == 2)
    }

    @Test func uninstallSaysWhatItDidAndSaysSoWhenThereIsNothing() throws {
        let project = try TestProject(["main.yaml": Self.jobs])
        defer { project.remove() }
        #expect(try project.run(["c", "-q"]).status == 0)
        let path = project.dir.appendingPathComponent(".jcrun/state.db").path
        let first = try project.run(["uninstall", "--yes"])
        #expect(first.stderr == "jcrun: dropped jcrun's tables in \(path)\n")
        #expect(first.status == 0)
        let second = try project.run(["uninstall", "--yes"])
        #expect(second.stderr == "jcrun: nothing to uninstall: no jcrun tables in \(path)\n")
        #expect(second.status == 0)
        // Read-only commands on the emptied file leave nothing beside it.
        #expect(try project.run(["status"]).status == 0)
        #expect(try project.run(["builds"]).status == 0)
        #expect(!project.exists(".jcrun/state.db-wal") && !project.exists(".jcrun/state.db-shm"))
        let help = try project.run(["uninstall", "--help"]).stdout
        #expect(help.contains("Drop jcrun's tables, with every build and log; the database file stays."))
    }

    @Test func pruneAndDeleteMessagesAreLowercaseAndPlural() throws {
        let project = try TestProject(["main.yaml": Self.jobs])
        defer { project.remove() }
        #expect(try project.run(["c", "-q"]).status == 0)
        let ask = try project.run(["prune"])
        #expect(ask.stderr == "jcrun: error: delete builds older than 30d needs confirmation; pass --yes\n")
        #expect(ask.status == 2)
        let hours = try project.run(["prune", "--older-than", "7200"])
        #expect(hours.stderr == "jcrun: error: delete builds older than 2h needs confirmation; pass --yes\n")
        let pruned = try project.run(["prune", "--yes"])
        #expect(pruned.stderr == "jcrun: deleted 0 builds and 0 log lines\n")
        let delete = try project.run(["delete", "1"])
        #expect(delete.stderr == "jcrun: error: delete #1 (c) needs confirmation; pass --yes\n")
        #expect(delete.status == 2)
    }

    /// `prune` runs each job's cleanup before deleting its build and keeps
    /// the build when cleanup fails; `prune` and `delete` never create a
    /// store (issue #3, a tester's findings).
    @Test func pruneRunsCleanupAndNeverCreatesAStore() throws {
        let project = try TestProject([
            "d.yaml": """
            jobs:
              - id: a
                command: 'echo "@retval x"; touch "f$JCRUN_BUILD_ID"'
                cleanup: 'rm "f$JCRUN_BUILD_ID"'
              - id: b
                command: "true"
              - id: c
                command: "true"
                cleanup: "exit 3"

            """
        ])
        defer { project.remove() }
        let empty = try project.run(["prune", "--yes"])
        #expect(empty.stderr == "jcrun: deleted 0 builds and 0 log lines (there is no store yet)\n")
        #expect(empty.status == 0)
        let missing = try project.run(["delete", "1", "--yes"])
        #expect(missing.status == 2)
        #expect(!project.exists(".jcrun"))
        for _ in 0..<3 { #expect(try project.run(["a", "b", "c", "-q", "-j", "1"]).status == 0) }
        #expect(project.exists("f1") && project.exists("f4") && project.exists("f7"))
        let pruned = try project.run(["prune", "--older-than", "0", "--yes"])
        #expect(
            pruned.stderr == """
                jcrun: error: cleanup of build #3 failed (exit 3); the build is kept (--force deletes it anyway)
                jcrun: error: cleanup of build #6 failed (exit 3); the build is kept (--force deletes it anyway)
                jcrun: deleted 4 builds and 0 log lines

                """)
        #expect(pruned.status == 1)
        #expect(!project.exists("f1") && !project.exists("f4") && project.exists("f7"))
        let forced = try project.run(["prune", "--older-than", "0", "--yes", "--force"])
        #expect(forced.status == 0)
        let left = try project.run(["builds", "--json"]).stdout
        let ids = try TestProject.jsonLines(left).compactMap { $0["id"] as? Int }
        #expect(ids == [9, 8, 7])
    }

    /// One prune deletes a consumer and what it consumed (the cleanup runs
    /// after the consumer is gone), and keeps a removed job's builds unless
    /// `--force`, as `delete` does (a second tester's findings).
    @Test func onePruneIsEnoughAndRemovedJobsNeedForce() throws {
        let project = try TestProject([
            "p.yaml": """
            jobs:
              - id: good
                command: 'echo "@retval g$JCRUN_BUILD_ID"'
                cleanup: 'echo "$JCRUN_BUILD_ID" >> cleaned'
              - id: dep
                dependencies: [good]
                command: 'echo "@retval d"'

            """,
            "r.yaml": "jobs:\n  - id: gone\n    command: 'echo x'\n    cleanup: 'exit 1'\n",
        ])
        defer { project.remove() }
        for _ in 0..<4 { #expect(try project.run(["good", "dep", "-q", "-j", "1"]).status == 0) }
        for _ in 0..<2 { #expect(try project.run(["gone", "-q"]).status == 0) }
        try FileManager.default.removeItem(at: project.dir.appendingPathComponent("jobs.d/r.yaml"))
        let pruned = try project.run(["prune", "--older-than", "0", "--yes"])
        #expect(
            pruned.stderr == """
                jcrun: kept the builds of job 'gone', no longer defined: their cleanup cannot run; --force deletes them
                jcrun: deleted 6 builds and 0 log lines

                """)
        #expect(pruned.status == 1)
        let cleaned = try String(contentsOf: project.dir.appendingPathComponent("cleaned"), encoding: .utf8)
        #expect(cleaned == "1\n3\n5\n")
        let forced = try project.run(["prune", "--older-than", "0", "--yes", "--force"])
        #expect(forced.stderr == "jcrun: deleted 1 build and 1 log line\n")
        let left = try TestProject.jsonLines(try project.run(["builds", "--json"]).stdout)
        #expect(left.compactMap { $0["id"] as? Int } == [10, 8, 7])
    }

    /// Refused before anything runs: `--json` where a command has no JSON,
    /// and a `--junit` path whose folder does not exist.
    @Test func jsonWithoutJSONAndAnUnwritableReportAreRefusedFirst() throws {
        let project = try TestProject(["main.yaml": Self.jobs])
        defer { project.remove() }
        let why = try project.run(["why", "c", "--json"])
        #expect(why.stderr == "jcrun: error: 'why' has no JSON output; leave out '--json'\n")
        #expect(why.status == 2)
        let junit = try project.run(["c", "--junit", "/nonexistent/x.xml"])
        #expect(
            junit.stderr
                == "jcrun: error: /nonexistent/x.xml: cannot write the JUnit report: folder '/nonexistent' does not exist\n"
        )
        #expect(junit.status == 2)
        #expect(try project.run(["builds"]).stdout == "")
    }

    /// A FIFO in jobs.d is named for what it is (reading it would block).
    @Test func aFifoInJobsDirIsNotAJobFile() throws {
        let project = try TestProject(["main.yaml": Self.jobs])
        defer { project.remove() }
        #expect(mkfifo(project.dir.appendingPathComponent("jobs.d/pipe.yaml").path, 0o644) == 0)
        let result = try project.run(["list"])
        #expect(result.status == 2)
        #expect(
            result.stderr == "jcrun: error: jobs.d/pipe.yaml: is a named pipe (FIFO), not a job file\n")
    }

    /// `log --raw` is what the job wrote: `@log` messages only with
    /// `--stream log`; long logs are read in pages (a tester's findings).
    @Test func rawLogIsTheJobsOwnOutput() throws {
        let project = try TestProject([
            "r.yaml": "jobs:\n  - id: r\n    command: 'seq 1 12000; echo \"@log warning careful\"; echo end >&2'\n"
        ])
        defer { project.remove() }
        #expect(try project.run(["r", "-q"]).status == 0)
        let stdout = try project.run(["log", "r", "--raw", "--stream", "stdout"]).stdout
        #expect(stdout == (1...12000).map { "\($0)\n" }.joined())
        let raw = try project.run(["log", "r", "--raw"]).stdout
        #expect(raw.split(separator: "\n").count == 12001)
        #expect(raw.contains("end\n") && !raw.contains("careful"))
        #expect(try project.run(["log", "r", "--raw", "--stream", "log"]).stdout == "careful\n")
        #expect(try project.run(["log", "r", "--raw", "--stream", "jcrun"]).stdout == "")
        let lines = try project.run(["log", "r"]).stdout.split(separator: "\n")
        #expect(lines.count == 12002)
    }

    @Test func aProtectedOutdatedJobIsMarkedAndCheckAgreesWithBuildOutdated() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: deploy
                command: "echo v1"
                protect: true

            """
        ])
        defer { project.remove() }
        #expect(try project.run(["deploy", "--yes", "-q"]).status == 0)
        try """
        jobs:
          - id: deploy
            command: "echo v2"
            protect: true

        """.write(
            to: project.dir.appendingPathComponent("jobs.d/main.yaml"), atomically: true,
            encoding: .utf8)
        let status = try project.run(["status"])
        #expect(TestProject.maskTimes(status.stdout) == "deploy  outdated (protected)  #1  T  T\n")
        let json = try TestProject.jsonLines(try project.run(["status", "--json"]).stdout)
        #expect(json[0]["status"] as? String == "outdated")
        #expect(json[0]["protect"] as? Bool == true)
        // build-outdated leaves a protected job out, so --check does not count it.
        let check = try project.run(["build-outdated", "--check"])
        #expect(check.status == 0)
    }

    @Test func whyExplainsAnOlderBuildAfterTheConsumedOneWasDeleted() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: a
                command: "echo '@retval 1'"
              - id: b
                command: "echo b"
                dependencies: [a]

            """
        ])
        defer { project.remove() }
        #expect(try project.run(["b", "-q"]).status == 0)  // a #1, b #2
        #expect(try project.run(["a", "-q"]).status == 0)  // a #3
        #expect(try project.run(["b", "-q"]).status == 0)  // b #4 consumed a #3
        #expect(try project.run(["delete", "3", "--yes"]).status == 0)
        let why = try project.run(["why", "b"])
        #expect(
            why.stdout
                == "b: dependency 'a' has a different successful build #1 than the one last consumed (#3, deleted)\n"
        )
    }

    @Test func wideIdsKeepColumnsAlignedAndDeepGraphsStayReadable() throws {
        var chain = "jobs:\n  - id: j0\n    command: \"true\"\n"
        for index in 1...40 {
            chain += "  - id: j\(index)\n    command: \"true\"\n    dependencies: [j\(index - 1)]\n"
        }
        chain += "  - id: 数据\n    command: \"true\"\n"
        let project = try TestProject(["main.yaml": chain])
        defer { project.remove() }
        let list = try project.run(["list"]).stdout.split(separator: "\n")
        #expect(list.last == "数据  not built")
        #expect(list.first == "j0    not built")
        let graph = try project.run(["graph", "j40"])
        #expect(graph.status == 0)
        let lines = graph.stdout.split(separator: "\n")
        #expect(lines.count == 41)
        #expect(lines.allSatisfy { $0.count <= 16 * 4 + 24 })
        #expect(lines[16] == String(repeating: " ", count: 15 * 4) + "└── j24")
        #expect(lines[17] == String(repeating: " ", count: 15 * 4) + "└── [depth 17] j23")
        #expect(lines[40] == String(repeating: " ", count: 15 * 4) + "└── [depth 40] j0")
    }

    @Test func noWaitSaysTheJobWasNotRunAndWhy() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: five
                command: "sleep 3"

            """
        ])
        defer { project.remove() }
        let first = Process()
        first.executableURL = Jcrun.binary
        first.arguments = ["five", "-q"]
        first.currentDirectoryURL = project.dir
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer { first.waitUntilExit() }
        // Wait (at most 20s) until the first run holds the job's lock and is running it.
        for _ in 0..<200 {
            if try project.run(["status", "five"]).stdout.hasPrefix("five  running") { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let second = try project.run(["five", "--no-wait"])
        #expect(second.status == 75)
        #expect(
            TestProject.maskTimes(second.stderr)
                == "0 built, 1 not run in T (a job's lock was not obtained)\n"
                + "  five  not run: another jcrun is building it (--no-wait)\n")
    }

    @Test func anEmptyProgressStatusIsNoStatusAndAFailedBuildHasNoRetvalEvent() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: p
                command: "echo '@progress 1/2 --'; echo '@retval x'; exit 1"

            """
        ])
        defer { project.remove() }
        let run = try project.run(["p", "--json"])
        #expect(run.status == 1)
        let events = try TestProject.jsonLines(run.stdout).map { $0["event"] as? String }
        #expect(events == ["plan", "build_started", "progress", "build_finished", "run_finished"])
        let progress = try TestProject.jsonLines(run.stdout)[2]
        #expect(progress["group"] as? [String] == [])
        #expect(progress["status"] is NSNull)
    }

    @Test func onANarrowTerminalTheJobIdIsCutNotTheTime() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: a-rather-long-job-identifier
                command: "true"

            """
        ])
        defer { project.remove() }
        let (status, screen) = try TerminalViewTests.runOnTerminal(
            ["a-rather-long-job-identifier", "--color", "never"], in: project.dir, columns: 40)
        #expect(status == 0)
        let finished = screen.components(separatedBy: "\u{1B}[2K").first { $0.contains("#1 successful") }
        let line = try #require(finished?.components(separatedBy: .newlines).first)
        #expect(TestProject.maskTimes(line) == "[1/1] a-rather-l… #1 successful in T")
    }
}
