import Foundation
import PostgresTestSupport
import Testing

/// Two jcrun runs at once on one project (issue #5, part 7): a run that
/// takes a job's lock judges the job against the store as it is then, and
/// only finished builds decide whether a job is outdated. Each test holds
/// the first run's build on a marker file (`go`) that the test creates once
/// the second run is where it should be: no sleeps decide the order.
@Suite(.bug(id: 5)) struct ConcurrentRunTests {
    /// `data` fails while `fail` exists, else waits for `go` and returns `v`'s text.
    static let dataAndUse = """
        jobs:
          - id: data
            command: 'if [ -e fail ]; then exit 1; fi; while [ ! -e go ]; do sleep 0.02; done; echo "@retval $(cat v)"'
          - id: use
            dependencies: [data]
            command: 'echo "used $JCRUN_RETVAL_DATA" >> used.txt'

        """

    /// A jcrun started in the background, its stdout and stderr in one file.
    struct Background {
        let process: Process
        let output: URL

        init(
            _ arguments: [String], in project: TestProject, name: String, environment: [String: String] = [:]
        ) throws {
            output = project.dir.appendingPathComponent(name)
            FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process = Process()
            process.executableURL = Jcrun.binary
            process.arguments = arguments
            process.currentDirectoryURL = project.dir
            var env = ProcessInfo.processInfo.environment
            env["NO_COLOR"] = "1"
            env.merge(environment) { _, new in new }
            process.environment = env
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            try handle.close()
        }

        var text: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

        /// Waits (at most 20 s) until the output holds `needle`.
        func waitFor(_ needle: String) {
            for _ in 0..<400 where !text.contains(needle) { Thread.sleep(forTimeInterval: 0.05) }
        }

        /// Waits for the end; the exit status.
        func finish() -> Int32 {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    static func write(_ text: String, _ name: String, in project: TestProject) throws {
        try text.write(to: project.dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    static func read(_ name: String, in project: TestProject) -> String {
        (try? String(contentsOf: project.dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    static func remove(_ name: String, in project: TestProject) {
        try? FileManager.default.removeItem(at: project.dir.appendingPathComponent(name))
    }

    /// The reason stored with build `id` (`show-build`).
    static func reason(of id: Int, in project: TestProject) throws -> String {
        let shown = try project.run(["show-build", "\(id)"]).stdout
        let line = shown.split(separator: "\n").first { $0.contains("reason") } ?? ""
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// `use` once with `old`, then the case's steps.
    /// Starts `build-outdated` while `first` runs, lets `first` go (the
    /// file `go`) once the second waits for `job`'s lock, and returns the
    /// second run's output, times masked; both must exit 0.
    static func buildOutdated(
        besides first: Background, waitingOn job: String, in project: TestProject
    ) throws -> String {
        let second = try Background(["build-outdated"], in: project, name: "second.out")
        second.waitFor("\(job) waits: another jcrun is building it")
        try write("", "go", in: project)
        #expect(first.finish() == 0, "\(first.text)")
        #expect(second.finish() == 0, "\(second.text)")
        return TestProject.maskTimes(second.text)
    }

    static func builtOnce() throws -> TestProject {
        let project = try TestProject(["r.yaml": dataAndUse])
        try write("old\n", "v", in: project)
        try write("", "go", in: project)
        let first = try project.run(["use", "-q"])
        #expect(first.status == 0, "\(first.stderr)")
        remove("go", in: project)
        return project
    }

    /// 1. The run that waited on `data`'s lock finds it up to date, built
    /// by the other run, and then rebuilds `use` with the new value: the
    /// other run's build is news to `use` even though this run built no `data`.
    @Test func aRunThatWaitedOnADependencyRebuildsItsOutdatedDependent() throws {
        let project = try Self.builtOnce()
        defer { project.remove() }
        try Self.write(
            Self.dataAndUse.replacingOccurrences(of: "echo \"@retval", with: "true; echo \"@retval"),
            "jobs.d/r.yaml", in: project)
        try Self.write("new\n", "v", in: project)

        let building = try Background(["data"], in: project, name: "first.out")
        RunControlTests.waitUntilRunningForTests(project)
        let text = try Self.buildOutdated(besides: building, waitingOn: "data", in: project)

        #expect(Self.read("used.txt", in: project) == "used old\nused new\n")
        #expect(text.contains("1 built, 1 up to date in"), "\(text)")
        #expect(text.contains("  data  up to date: another jcrun built it meanwhile (#3)\n"), "\(text)")
        #expect(
            try Self.reason(of: 4, in: project)
                == "reason      dependency 'data' has a newer successful build #3 (build-outdated, attempt 1)")
        #expect(try project.run(["why", "use"]).stdout == "use: up to date\n")
        #expect(try project.run(["build-outdated", "--check"]).status == 0)
    }

    /// 2. A build that is running is no outcome: `data`'s latest finished
    /// build failed, so it stays outdated while another run rebuilds it; a
    /// second `build-outdated` plans it, waits for its lock, finds it built
    /// and rebuilds `use` with the new value.
    @Test func aRunningBuildDoesNotHideAFailedLatestBuild() throws {
        let project = try Self.builtOnce()
        defer { project.remove() }
        try Self.write("", "fail", in: project)
        #expect(try project.run(["data", "-q"]).status == 1)
        Self.remove("fail", in: project)
        try Self.write("new\n", "v", in: project)
        let outdated =
            "use: dependency 'data' is rebuilt first (up to date if 'data' ends skipped)\n"
            + "data: latest build #3 failed (exit)\n"
        #expect(try project.run(["why", "use"]).stdout == outdated)

        let building = try Background(["data"], in: project, name: "first.out")
        RunControlTests.waitUntilRunningForTests(project)
        #expect(
            try project.run(["why", "use"]).stdout
                == "use: dependency 'data' is rebuilt first (up to date if 'data' ends skipped)\n"
                + "data: latest build #3 failed (exit); build #4 is running\n")
        #expect(
            try project.run(["build-outdated", "-n"]).stdout
                == "data: latest build #3 failed (exit)\n"
                + "use: dependency 'data' is rebuilt first (up to date if 'data' ends skipped)\n")
        #expect(try project.run(["build-outdated", "--check"]).status == 1)

        let text = try Self.buildOutdated(besides: building, waitingOn: "data", in: project)

        #expect(Self.read("used.txt", in: project) == "used old\nused new\n")
        #expect(text.contains("1 built, 1 up to date in"), "\(text)")
        #expect(text.contains("  data  up to date: another jcrun built it meanwhile (#4)\n"), "\(text)")
        #expect(
            try Self.reason(of: 5, in: project)
                == "reason      dependency 'data' has a newer successful build #4 (build-outdated, attempt 1)")
        #expect(try project.run(["build-outdated", "--check"]).status == 0)
    }

    /// 3. A job built by another run while this run was busy elsewhere is
    /// up to date when this run takes its lock, even with no wait for it:
    /// the lock is free, but the store changed since the plan was made.
    /// `gate` (first by id, `-j 1`) holds the second run until the first
    /// has ended; `after` was planned while the first run was building it.
    @Test func aDependentBuiltByAnotherRunMeanwhileIsNotBuiltTwice() throws {
        try Self.builtMeanwhileWithoutAWait(environment: [:])
    }

    /// The same on a PostgreSQL store, whose job locks are advisory locks
    /// and which cannot tell its own writes from others' (it reads again).
    @Test(
        .enabled(
            if: PostgresTestServer.skipReason == nil, "no PostgreSQL server (see the printed reason)"))
    func aDependentBuiltByAnotherRunMeanwhileIsNotBuiltTwiceOnPostgreSQL() throws {
        let url = try PostgresTestServer.shared.get().createDatabase()
        try Self.builtMeanwhileWithoutAWait(environment: ["JCRUN_STORAGE": url])
    }

    static func builtMeanwhileWithoutAWait(environment env: [String: String]) throws {
        let project = try TestProject([
            "s.yaml": """
            jobs:
              - id: slow
                command: 'echo "@retval s"'
              - id: after
                dependencies: [slow]
                command: 'while [ ! -e go ]; do sleep 0.02; done; echo "after $JCRUN_BUILD_ID" >> runs.txt'
              - id: a_gate
                command: 'while [ ! -e gate ]; do sleep 0.02; done'

            """
        ])
        defer { project.remove() }
        #expect(try project.run(["slow", "-q"], environment: env).status == 0)

        let first = try Background(["after"], in: project, name: "first.out", environment: env)
        for _ in 0..<200 where !(try project.run(["builds", "--json"], environment: env).stdout)
            .contains("\"status\":\"running\"")
        {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let second = try Background(
            ["build-outdated", "-j", "1"], in: project, name: "second.out", environment: env)
        second.waitFor("a_gate started")
        try Self.write("", "go", in: project)
        #expect(first.finish() == 0, "\(first.text)")
        try Self.write("", "gate", in: project)
        #expect(second.finish() == 0, "\(second.text)")

        #expect(Self.read("runs.txt", in: project) == "after 2\n")
        let text = TestProject.maskTimes(second.text)
        #expect(!text.contains("after waits"), "\(text)")
        #expect(text.contains("1 built, 2 up to date in"), "\(text)")
        #expect(text.contains("  after   up to date: another jcrun built it meanwhile (#2)\n"), "\(text)")
        #expect(try project.run(["build-outdated", "--check"], environment: env).status == 0)
    }

    /// The tester's race as it was: two `build-outdated` at once; `after`
    /// runs once, whichever run takes its lock first.
    @Test func twoBuildOutdatedAtOnceBuildEachJobOnce() throws {
        let project = try TestProject([
            "s.yaml": """
            jobs:
              - id: slow
                command: 'while [ ! -e go ]; do sleep 0.02; done; echo "@retval s"'
              - id: after
                dependencies: [slow]
                command: 'echo "after $JCRUN_BUILD_ID" >> runs.txt'

            """
        ])
        defer { project.remove() }
        let first = try Background(["build-outdated"], in: project, name: "first.out")
        RunControlTests.waitUntilRunningForTests(project)
        let text = try Self.buildOutdated(besides: first, waitingOn: "slow", in: project)
        #expect(Self.read("runs.txt", in: project) == "after 2\n")
        #expect(text.contains("0 built, 2 up to date in"), "\(text)")
        #expect(text.contains("  slow   up to date: another jcrun built it meanwhile (#1)\n"), "\(text)")
    }
}

extension RunControlTests {
    /// `waitUntilRunning`, for tests that hold no error to throw.
    static func waitUntilRunningForTests(_ project: TestProject) {
        try? waitUntilRunning(project)
    }
}
