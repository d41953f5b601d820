import Foundation
import PostgresTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// On a PostgreSQL store: queued builds that are only dependencies are
/// planned as in a local run (an up-to-date one is not rebuilt), and local
/// runs on several machines take the store's job locks.
@Suite(
    .enabled(
        if: PostgresTestServer.skipReason == nil, "no PostgreSQL server (see the printed reason)"))
struct PostgresPlanAndLockTests {
    private var server: PostgresTestServer { get throws { try PostgresTestServer.shared.get() } }

    /// `b` and `c` are rebuilt only because `a` is: after `a`'s new build
    /// (its second script), they run when `a` brings a new value.
    private struct ConditionCase: Sendable, CustomStringConvertible {
        var name: String
        /// `a`'s script in the queued run.
        var script: String
        var rebuilt: Bool
        var description: String { name }
    }

    private static let conditionCases: [ConditionCase] = [
        ConditionCase(name: "same value, early cutoff", script: "echo '@retval 1'", rebuilt: false),
        ConditionCase(name: "new value", script: "echo '@retval 2'", rebuilt: true),
        ConditionCase(name: "skipped", script: "echo '@skip'", rebuilt: false),
    ]

    @Test(arguments: conditionCases)
    private func aQueuedDependentIsBuiltOnlyWhenItsDependencyBringsANewValue(
        _ test: ConditionCase
    ) throws {
        let url = try server.createDatabase()
        let script = NSTemporaryDirectory() + "jcrun-a-\(UUID().uuidString.prefix(8)).sh"
        defer { try? FileManager.default.removeItem(atPath: script) }
        let yaml = """
            jobs:
              - id: a
                command: ["sh", "\(script)"]
                early_cutoff: true
              - id: b
                command: "true"
                dependencies: [a]
              - id: c
                command: "true"
                dependencies: [b]

            """
        let copies = try (0..<2).map { _ in try TestProject(["jobs.yaml": yaml]) }
        defer { for copy in copies { copy.remove() } }
        let env = ["JCRUN_STORAGE": url]
        func write(_ text: String) throws { try text.write(toFile: script, atomically: true, encoding: .utf8) }

        // a, b and c built once; then a fails, so that build-outdated plans it
        // and b and c only because of it.
        try write("echo '@retval 1'\n")
        #expect(try copies[1].run(["build-outdated", "-q"], environment: env).status == 0)
        try write("exit 3\n")
        #expect(try copies[1].run(["a", "-q"], environment: env).status == 1)
        let plan = try copies[1].run(["build-outdated", "--dry-run"], environment: env)
        #expect(
            plan.stdout == "a: latest build #4 failed (exit)\n"
                + "b: dependency 'a' is rebuilt first (up to date if 'a' ends skipped,"
                + " or keeps its value under early_cutoff)\n"
                + "c: dependency 'b' is rebuilt first (up to date if 'b' ends skipped)\n")

        try write(test.script + "\n")
        let worker = try Self.startWorker(copies[0], url: url)
        defer { Self.stop(worker) }
        let queued = try copies[1].run(
            ["build-outdated", "--queue", "--wait", "-q"], environment: env)
        #expect(queued.status == 0, "\(queued.stderr)")
        #expect(queued.stdout == "#5 a\n#6 b\n#7 c\n")

        let counts = try server.rows(
            "SELECT job, count(*) FROM builds GROUP BY job ORDER BY job", url: url)
        let expected = test.rebuilt ? "2" : "1"
        #expect(counts.map { $0[0] ?? "" } == ["a", "b", "c"])
        #expect(counts.dropFirst().allSatisfy { $0[1] == expected }, "\(counts)")
        #expect(try server.rows("SELECT count(*) FROM queue_edges", url: url).first?.first ?? "" == (test.rebuilt ? "2" : "0"))
        // Up to date now, as after a local run.
        let again = try copies[1].run(["build-outdated", "--dry-run"], environment: env)
        #expect(again.stdout == "a: up to date\nb: up to date\nc: up to date\n")
    }

    @Test func aRunThatNeedsAJoinedConditionalBuildMakesItRun() throws {
        let url = try server.createDatabase()
        let fail = NSTemporaryDirectory() + "jcrun-fail-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: fail) }
        let yaml = """
            jobs:
              - id: a
                command: ["sh", "-c", "if [ -e \(fail) ]; then exit 3; fi; echo '@retval 1'"]
                early_cutoff: true
              - id: b
                command: "true"
                dependencies: [a]

            """
        let project = try TestProject(["jobs.yaml": yaml])
        defer { project.remove() }
        let env = ["JCRUN_STORAGE": url]
        #expect(try project.run(["build-outdated", "-q"], environment: env).status == 0)
        FileManager.default.createFile(atPath: fail, contents: nil)
        #expect(try project.run(["a", "-q"], environment: env).status == 1)
        // Queued without a worker: a (its latest build failed), b only because of a;
        // then `jcrun b` needs b in any case and joins its queued build.
        #expect(try project.run(["build-outdated", "--queue", "-q"], environment: env).status == 0)
        let conditional = try server.rows(
            "SELECT count(*) FROM queue WHERE condition IS NOT NULL", url: url)
        #expect(conditional.first?.first ?? "" == "1")
        let joined = try project.run(["b", "--queue"], environment: env)
        #expect(joined.stdout.hasSuffix(" b (already queued)\n"), "\(joined.stdout)")
        let left = try server.rows(
            "SELECT count(*) FROM queue WHERE condition IS NOT NULL", url: url)
        #expect(left.first?.first ?? "" == "0")
    }

    @Test func aLocalRunHoldsItsJobsLockInTheStoreUntilItEndsOrDies() throws {
        let url = try server.createDatabase()
        let mark = NSTemporaryDirectory() + "jcrun-mark-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: mark) }
        let yaml = """
            jobs:
              - id: slow
                command: ["sh", "-c", "if [ -e \(mark) ]; then exit 0; fi; touch \(mark); sleep 60"]

            """
        // Two copies of the project: two machines sharing one store.
        let copies = try (0..<2).map { _ in try TestProject(["jobs.yaml": yaml]) }
        defer { for copy in copies { copy.remove() } }
        let env = ["JCRUN_STORAGE": url]
        #expect(try copies[0].run(["install"], environment: env).status == 0)

        let first = Process()
        first.executableURL = Jcrun.binary
        first.arguments = ["slow", "-q"]
        first.currentDirectoryURL = copies[0].dir
        first.environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        var group: Int32?
        defer {
            if first.isRunning { kill(first.processIdentifier, SIGKILL) }
            first.waitUntilExit()
            if let group { kill(-group, SIGKILL) }  // the job's own process group
        }
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: mark) { usleep(50_000) }
        #expect(FileManager.default.fileExists(atPath: mark))

        let second = try copies[1].run(["slow", "--no-wait"], environment: env)
        #expect(second.status == 75)
        #expect(
            TestProject.maskTimes(second.stderr)
                == "0 built, 1 not run in T (a job's lock was not obtained)\n"
                + "  slow  not run: another jcrun is building it (--no-wait)\n")

        // kill -9: the server ends the dead run's session, and its lock with it.
        group = try server.rows(
            "SELECT process_group FROM builds WHERE status = 'running'", url: url
        ).first?.first.flatMap { $0.flatMap { Int32($0) } }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        var third = try copies[1].run(["slow", "--no-wait", "-q"], environment: env)
        for _ in 0..<100 where third.status == 75 {
            usleep(100_000)  // the server notices the closed connection
            third = try copies[1].run(["slow", "--no-wait", "-q"], environment: env)
        }
        #expect(third.status == 0, "\(third.stderr)")
        let builds = try server.rows(
            "SELECT status, failure_kind FROM builds ORDER BY id", url: url)
        #expect(builds.map { $0[0] ?? "" } == ["failed", "successful"], "\(builds)")
    }

    /// Starts `jcrun JOB -q` in `project` and waits (up to 30 s) until its
    /// job has made the file `mark`, so the run holds the job's lock.
    static func startLocalRun(
        of job: String, in project: TestProject, environment: [String: String], until mark: String
    ) throws -> Process {
        let local = Process()
        local.executableURL = Jcrun.binary
        local.arguments = [job, "-q"]
        local.currentDirectoryURL = project.dir
        local.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        local.standardOutput = FileHandle.nullDevice
        local.standardError = FileHandle.nullDevice
        try local.run()
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: mark) { usleep(50_000) }
        return local
    }

    @Test func aWorkerWaitsForTheJobsLockThatALocalRunHolds() throws {
        let url = try server.createDatabase()
        let folder = NSTemporaryDirectory() + "jcrun-lock-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let yaml = """
            jobs:
              - id: slow
                command: ["sh", "-c", "echo start >> \(folder)/log; touch \(folder)/mark; while [ ! -e \(folder)/release ]; do sleep 0.05; done; echo end >> \(folder)/log"]

            """
        let copies = try (0..<3).map { _ in try TestProject(["jobs.yaml": yaml]) }
        defer { for copy in copies { copy.remove() } }
        let env = ["JCRUN_STORAGE": url]
        #expect(try copies[0].run(["install"], environment: env).status == 0)

        let local = try Self.startLocalRun(
            of: "slow", in: copies[0], environment: env, until: folder + "/mark")
        defer {
            FileManager.default.createFile(atPath: folder + "/release", contents: nil)
            local.waitUntilExit()
        }

        let log = folder + "/worker.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let worker = try Self.startWorker(copies[1], url: url, stderr: log, quiet: false)
        defer { Self.stop(worker) }
        #expect(try copies[2].run(["slow", "--queue"], environment: env).stdout == "#2 slow\n")
        // The worker claimed #2 and waits for the local run's lock: no second start.
        var said = ""
        for _ in 0..<600 where !said.contains("waits") {
            usleep(50_000)
            said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        #expect(said.contains("jcrun worker: #2 slow waits: another jcrun is building the job\n"), "\(said)")
        #expect(try String(contentsOfFile: folder + "/log", encoding: .utf8) == "start\n")

        FileManager.default.createFile(atPath: folder + "/release", contents: nil)
        local.waitUntilExit()
        #expect(local.terminationStatus == 0)
        for _ in 0..<600 {
            let statuses = try server.rows("SELECT status FROM builds ORDER BY id", url: url)
            if statuses == [["successful"], ["successful"]] { break }
            usleep(50_000)
        }
        #expect(try String(contentsOfFile: folder + "/log", encoding: .utf8) == "start\nend\nstart\nend\n")
    }

    /// A build queued as outdated (not requested) and claimed while a local
    /// run builds its job is judged again once the lock is free: the local
    /// run brought the job up to date, so the queue drops the claimed build
    /// unbuilt, `--wait` counts it up to date, and its dependent consumes
    /// the local run's build.
    @Test func aWorkerDropsABuildALocalRunBroughtUpToDateMeanwhile() throws {
        let url = try server.createDatabase()
        let folder = NSTemporaryDirectory() + "jcrun-lock-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let yaml = """
            jobs:
              - id: slow
                command: ["sh", "-c", "echo start >> \(folder)/log; touch \(folder)/mark; while [ ! -e \(folder)/release ]; do sleep 0.05; done; echo end >> \(folder)/log"]
              - id: after
                command: "true"
                dependencies: [slow]

            """
        let copies = try (0..<3).map { _ in try TestProject(["jobs.yaml": yaml]) }
        defer { for copy in copies { copy.remove() } }
        let env = ["JCRUN_STORAGE": url]
        #expect(try copies[0].run(["install"], environment: env).status == 0)

        let local = try Self.startLocalRun(
            of: "slow", in: copies[0], environment: env, until: folder + "/mark")
        defer {
            FileManager.default.createFile(atPath: folder + "/release", contents: nil)
            local.waitUntilExit()
        }

        let log = folder + "/worker.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let worker = try Self.startWorker(copies[1], url: url, stderr: log, quiet: false)
        defer { Self.stop(worker) }
        let box = ResultBox()
        let follower = Thread {
            box.set(try? copies[2].run(["build-outdated", "--queue", "--wait"], environment: env))
        }
        follower.start()
        var said = ""
        for _ in 0..<600 where !said.contains("waits") {
            usleep(50_000)
            said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        #expect(said.contains("jcrun worker: #2 slow waits: another jcrun is building the job\n"), "\(said)")

        FileManager.default.createFile(atPath: folder + "/release", contents: nil)
        local.waitUntilExit()
        #expect(local.terminationStatus == 0)
        let waited = try #require(box.wait())
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(waited.stdout == "#2 slow\n#3 after\n", "\(waited.stdout)")
        #expect(waited.stderr.contains("\n1 built, 1 up to date in "), "\(waited.stderr)")
        said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(said.contains("jcrun worker: #2 slow up to date: another jcrun built it meanwhile (#1); dropped\n"), "\(said)")
        // One start of `slow`: the local run's. `after` ran once, on build #1.
        #expect(try String(contentsOfFile: folder + "/log", encoding: .utf8) == "start\nend\n")
        let builds = try server.rows("SELECT id, job, status FROM builds ORDER BY id", url: url)
        #expect(builds == [["1", "slow", "successful"], ["3", "after", "successful"]], "\(builds)")
        let consumed = try server.rows("SELECT consumed FROM build_inputs WHERE build = 3", url: url)
        #expect(consumed == [["1"]])
    }

    /// A worker reads its job files again when a claimed build's job is
    /// not defined as it was queued: a job added after it started runs.
    @Test func aWorkerRunsAJobAddedAfterItStarted() throws {
        let url = try server.createDatabase()
        let project = try TestProject(["first.yaml": "jobs:\n  - id: old\n    command: \"true\"\n"])
        defer { project.remove() }
        let env = ["JCRUN_STORAGE": url]
        #expect(try project.run(["install"], environment: env).status == 0)
        let worker = try Self.startWorker(project, url: url)
        defer { Self.stop(worker) }
        try "jobs:\n  - id: added\n    command: \"echo '@retval new'\"\n".write(
            to: project.dir.appendingPathComponent("jobs.d/second.yaml"), atomically: true,
            encoding: .utf8)
        let queued = try project.run(["added", "--queue", "--wait", "-q"], environment: env)
        #expect(queued.status == 0, "\(queued.stderr)")
        #expect(try project.run(["show-build", "added", "--retval"], environment: env).stdout == "new\n")
    }

    private static func startWorker(
        _ project: TestProject, url: String, stderr: String? = nil, quiet: Bool = true
    ) throws -> Process {
        let process = Process()
        process.executableURL = Jcrun.binary
        process.arguments = ["worker", "--lease", "2"] + (quiet ? ["-q"] : [])
        process.currentDirectoryURL = project.dir
        var environment = ProcessInfo.processInfo.environment
        environment["JCRUN_STORAGE"] = url
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError =
            try stderr.map { try FileHandle(forWritingTo: URL(fileURLWithPath: $0)) }
            ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    private static func stop(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}

/// A result set on another thread, awaited here.
private final class ResultBox: @unchecked Sendable {
    private let cond = NSCondition()
    private var result: Jcrun.Result??

    func set(_ value: Jcrun.Result?) {
        cond.withLock {
            result = .some(value)
            cond.broadcast()
        }
    }

    /// The result, or nil after 120 s.
    func wait() -> Jcrun.Result? {
        cond.withLock {
            let deadline = Date().addingTimeInterval(120)
            while result == nil && cond.wait(until: deadline) {}
            return result ?? nil
        }
    }
}
