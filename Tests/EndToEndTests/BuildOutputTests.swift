import Foundation
import Testing

/// A run's output in each mode, compared exactly (times masked).
struct BuildOutputTests {
    @Test func plainOutputReadsLineByLine() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        let result = try project.run(["report", "-k"])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(
            TestProject.maskTimes(result.stderr) == """
                [1/3] crawl started
                [1/3] crawl successful in T
                [2/3] process started
                [2/3] process failed in T (exit 1)
                1 built, 1 failed, 1 not run in T
                  crawl    #1  successful in T
                  process  #2  failed in T (exit 1)
                  report   not run: dependency 'process' failed

                process #2 failed (exit 1), last 2 lines of its log:
                  reading out/crawl.csv
                  error: bad row 3
                see all: jcrun log #2

                """)
    }

    @Test func quietPrintsNothingOnSuccess() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        let result = try project.run(["hello", "--quiet"])
        #expect(result.status == 0)
        #expect(result.stdout == "")
        #expect(result.stderr == "")
        let again = try project.run(["build-outdated", "-q"])
        #expect(again.status == 0)
        #expect(again.stderr == "")
    }

    @Test func quietPrintsOnlyTheLogTailOnFailure() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        let result = try project.run(["build-outdated", "--quiet"])
        #expect(result.status == 1)
        #expect(
            result.stderr == """

                process #2 failed (exit 1), last 2 lines of its log:
                  reading out/crawl.csv
                  error: bad row 3
                see all: jcrun log #2

                """)
    }

    @Test func verboseStreamsOutputPrefixedWithTheJob() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        let result = try project.run(["hello", "-v"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("\nhello | hello\n"))
    }

    @Test func jsonEventsCarryEveryField() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        let result = try project.run(["report", "--json"])
        #expect(result.status == 1)
        let events = try TestProject.jsonLines(result.stdout)
        #expect(
            events.map { $0["event"] as? String } == [
                "plan", "build_started", "progress", "progress", "progress", "retval",
                "build_finished",
                "build_started", "build_finished", "run_finished",
            ])
        for event in events {
            #expect(event["v"] as? Int == 1)
        }
        let plan = try #require(events.first)
        let planned = try #require(plan["builds"] as? [[String: Any]])
        #expect(planned.map { $0["job"] as? String } == ["crawl", "process", "report"])
        #expect(planned.first?["reason"] as? String == "never built")

        let failed = events[8]
        #expect(failed["id"] as? Int == 2)
        #expect(failed["job"] as? String == "process")
        #expect(failed["status"] as? String == "failed")
        #expect(failed["failure_kind"] as? String == "exit")
        #expect(failed["exit_code"] as? Int == 1)
        #expect(failed["signal"] is NSNull)
        #expect(failed["attempt"] as? Int == 1)
        #expect(failed["retval"] is NSNull)
        for key in ["created_at", "started_at", "finished_at"] {
            let time = try #require(failed[key] as? String)
            #expect(time.hasSuffix("Z"))
            #expect(
                time.range(
                    of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$"#, options: .regularExpression
                ) != nil)
        }
        #expect(failed["duration_s"] is Double || failed["duration_s"] is Int)

        let retval = events[5]
        #expect(retval["job"] as? String == "crawl")
        #expect(retval["retval"] as? String == "out/crawl.csv")
        let progress = events[2]
        #expect(progress["group"] as? [String] == ["pages"])
        #expect(progress["current"] as? Int == 1)
        #expect(progress["total"] as? Int == 3)
        #expect(progress["status"] as? String == "page1")

        let finished = try #require(events.last)
        let notRun = try #require(finished["not_run"] as? [[String: Any]])
        #expect(notRun.first?["job"] as? String == "report")
        #expect(notRun.first?["reason"] as? String == "dependency 'process' failed")
    }

    @Test func storedStateIsReadBackAsJSON() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        _ = try project.run(["report", "-q"])
        let builds = try TestProject.jsonLines(try project.run(["builds", "--json"]).stdout)
        #expect(builds.map { $0["id"] as? Int } == [2, 1])
        #expect(builds.map { $0["status"] as? String } == ["failed", "successful"])
        let shown = try project.run(["show-build", "#1", "--json"])
        #expect(shown.status == 0)
        let build = try #require(try TestProject.jsonLines(shown.stdout).first)
        #expect(build["retval"] as? String == "out/crawl.csv")
        #expect(build["log_tail"] as? [String] == ["fetched 1", "fetched 2", "fetched 3"])
        let progress = try #require(build["progress"] as? [[String: Any]])
        #expect(progress.first?["current"] as? Int == 3)
        let retval = try project.run(["show-build", "crawl", "--retval"])
        #expect(retval.stdout == "out/crawl.csv\n")
        let consumers = try #require(build["consumers"] as? [[String: Any]])
        #expect(consumers.first?["build_id"] as? Int == 2)
    }

    @Test func junitReportIsValidXMLWithOneCasePerJob() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        let result = try project.run(["report", "-q", "--junit", "report.xml"])
        #expect(result.status == 1)
        let xml = try String(
            contentsOf: project.dir.appendingPathComponent("report.xml"), encoding: .utf8)
        let cases = try JUnitCases(xml)
        #expect(cases.names == ["crawl", "process", "report"])
        #expect(cases.failures == ["process"])
        #expect(cases.skipped == ["report"])
    }

    /// A link, a pipe or `/dev/stdout` given to `--junit` is written through
    /// (it was replaced by a new regular file: the link and the pipe were
    /// gone, and as root `/dev/full` became a file).
    @Test func aJUnitPathThatIsNotARegularFileIsWrittenThrough() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        let dir = project.dir.path
        try Data("old\n".utf8).write(to: project.dir.appendingPathComponent("target.xml"))
        #expect(symlink("target.xml", dir + "/link.xml") == 0)
        let linked = try project.run(["report", "-q", "--junit", "link.xml"])
        #expect(linked.status == 1)
        var info = stat()
        #expect(lstat(dir + "/link.xml", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        let target = try String(contentsOfFile: dir + "/target.xml", encoding: .utf8)
        #expect(try JUnitCases(target).names == ["crawl", "process", "report"])

        #expect(mkfifo(dir + "/pipe.xml", 0o600) == 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [dir + "/pipe.xml"]
        let output = Pipe()
        reader.standardOutput = output
        try reader.run()
        let piped = try project.run(["report", "-q", "--junit", "pipe.xml"])
        let read = output.fileHandleForReading.readDataToEndOfFile()
        reader.waitUntilExit()
        #expect(piped.status == 1)
        #expect(try JUnitCases(String(decoding: read, as: UTF8.self)).failures == ["process"])
        #expect(lstat(dir + "/pipe.xml", &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)

        let stdout = try project.run(["report", "-q", "--junit", "/dev/stdout"])
        #expect(stdout.status == 1)
        #expect(try JUnitCases(stdout.stdout).failures == ["process"])
    }

    /// `--junit /dev/stdout | head` is a reader that left, as for stdout
    /// itself: 141, no message (it was exit 2 and "Broken pipe; check that
    /// its folder exists"); an empty path is a usage error.
    @Test func aJUnitReaderThatLeavesIsSIGPIPE() throws {
        let many = "jobs:\n{% for i in range(1000) %}  - {id: job_number_{{ i }}, command: \"true\"}\n{% endfor %}"
        let project = try TestProject(["many.yaml": many])
        defer { project.remove() }
        let result = try Jcrun.run(
            [], in: project.dir, environment: ["NO_COLOR": "1"], executable: "/bin/bash",
            prefix: [
                "-c",
                "\"$JCRUN\" build-outdated -q --junit /dev/stdout | head -c 10 >/dev/null; echo \"status ${PIPESTATUS[0]}\"",
            ])
        #expect(result.stdout == "status 141\n")
        #expect(result.stderr == "")
        let empty = try project.run(["build-outdated", "--junit", ""])
        #expect(empty.status == 2)
        #expect(empty.stderr == "jcrun: error: option '--junit' needs a file path, not an empty one\n")
    }

    @Test func aDryRunPrintsThePlanAndBuildsNothing() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        let result = try project.run(["report", "-n"])
        #expect(result.status == 0)
        #expect(
            result.stdout == """
                crawl: never built
                process: never built
                report: requested

                """)
        #expect(!project.exists(".jcrun"))
    }

    @Test func checkExitsOneWhenSomethingIsOutdated() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        #expect(try project.run(["build-outdated", "--check", "-q"]).status == 1)
        _ = try project.run(["hello", "-q"])
        #expect(try project.run(["build-outdated", "--check"]).status == 0)
    }

    @Test func aProtectedJobIsRefusedWithoutATerminal() throws {
        let project = try TestProject(["main.yaml": Fixtures.protectedJob])
        defer { project.remove() }
        let refused = try project.run(["deploy"])
        #expect(refused.status == 2)
        #expect(
            refused.stderr
                == "jcrun: error: 'deploy' is protected; confirm on a terminal, or pass --allow-protected or --yes\n"
        )
        #expect(try project.run(["deploy", "--yes", "-q"]).status == 0)
    }
}
