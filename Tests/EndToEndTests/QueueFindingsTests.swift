import Foundation
import PostgresTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh tester's findings on the queue, through the built jcrun: a tag
/// no worker can name, a queued build nothing can claim (silent `--wait`,
/// no way to cancel it), a killed local run shown `running` on PostgreSQL,
/// and `--wait` hiding a retried attempt's failure.
struct QueueTagFindingsTests {
    /// `tags: ["a,b"]` loaded, and no `--tags` could ever name it.
    @Test(arguments: [
        (#"["a,b"]"#, 42, "'a,b'"), (#"["a b"]"#, 42, "'a b'"), (#"[ok, "é"]"#, 46, "'é'"),
        (#"["x\ty"]"#, 42, "'x\ty'"), (#"["a\u0007"]"#, 42, "'a\\x07'"),
    ])
    func aTagThatWorkerTagsCannotNameIsRefusedAtLoad(tags: String, column: Int, shown: String) throws {
        let project = try TestProject(["a.yaml": "jobs: [{id: tc, command: echo tc, tags: \(tags)}]\n"])
        defer { project.remove() }
        let result = try project.run(["list"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: jobs.d/a.yaml:1:\(column): invalid 'tags' \(shown): expected a tag of ASCII letters, digits, '_', '.' and '-' (as 'jcrun worker --tags' names tags)\n"
        )
    }

    @Test func anEmptyTagIsRefusedAndGoodTagsLoad() throws {
        let project = try TestProject([
            "a.yaml": "jobs:\n  - id: tc\n    command: \"true\"\n    tags: [gpu, \"\"]\n"
        ])
        defer { project.remove() }
        let result = try project.run(["list"])
        #expect(result.status == 2)
        #expect(result.stderr == "jcrun: error: jobs.d/a.yaml:4:17: invalid 'tags' '': a tag must not be empty\n")
        let good = try TestProject([
            "a.yaml": "jobs:\n  - id: tc\n    command: \"true\"\n    tags: [gpu, big-disk, os_linux.6, X9]\n"
        ])
        defer { good.remove() }
        #expect(try good.run(["list"]).status == 0)
    }

    @Test(arguments: [("a,b c", "'b c' is not a tag"), ("gpu,,big", "an empty tag"), ("gpu,", "an empty tag"),
                      ("a;b", "'a;b' is not a tag")])
    func workerTagsAreCheckedAsJobTagsAre(value: String, which: String) throws {
        let project = try TestProject(["a.yaml": "jobs: [{id: tc, command: echo tc}]\n"])
        defer { project.remove() }
        let result = try project.run(["worker", "--tags", value])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: option '--tags' expects tags of ASCII letters, digits, '_', '.' and '-', separated by commas (gpu,big-disk); got '\(value)', where \(which)\n"
        )
    }

    @Test func cancelOnAnSQLiteStoreRefusesFinishedBuilds() throws {
        let project = try TestProject(["a.yaml": "jobs: [{id: tc, command: echo tc}]\n"])
        defer { project.remove() }
        #expect(try project.run(["tc", "-q"]).status == 0)
        let result = try project.run(["cancel", "1"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: build #1 of 'tc' is already successful; only a queued build that no worker has claimed yet can be cancelled\n"
        )
        let missing = try project.run(["cancel", "#9"])
        #expect(missing.status == 2)
        #expect(missing.stderr.hasPrefix("jcrun: error: no build #9"))
    }
}

@Suite(
    .enabled(
        if: PostgresTestServer.skipReason == nil, "no PostgreSQL server (see the printed reason)"))
struct QueueFindingsTests {
    private var server: PostgresTestServer { get throws { try PostgresTestServer.shared.get() } }

    /// jcrun running in the background, stdout and stderr into files.
    private final class Background {
        let process = Process()
        let out: URL
        let err: URL

        init(_ project: TestProject, _ arguments: [String], url: String) throws {
            let tag = UUID().uuidString.prefix(6)
            out = project.dir.appendingPathComponent("bg-\(tag).out")
            err = project.dir.appendingPathComponent("bg-\(tag).err")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = Jcrun.binary
            process.arguments = arguments
            process.currentDirectoryURL = project.dir
            var environment = ProcessInfo.processInfo.environment
            environment["JCRUN_STORAGE"] = url
            environment["NO_COLOR"] = "1"
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
        }

        var pid: Int32 { process.processIdentifier }
        var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

        /// Waits (up to 60 s) until `check` holds for stdout and stderr.
        func waitUntil(_ check: (String, String) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if check(stdout, stderr) { return true }
                usleep(50_000)
            }
            return false
        }

        /// `signal`, then the exit status (SIGKILL after 30 s).
        func stop(_ signal: Int32 = SIGTERM) -> Int32 {
            if process.isRunning { kill(pid, signal) }
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(pid, SIGKILL) }
            process.waitUntilExit()
            return process.terminationStatus
        }

        func wait() -> Int32 {
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            return stop(SIGKILL)
        }
    }

    private func waitFor(_ sql: String, url: String, toBe expected: String) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            // Before the first jcrun installs the schema, the tables are missing.
            if (try? server.rows(sql, url: url))?.first?.first == expected { return }
            usleep(50_000)
        }
        Issue.record("timed out waiting for \(sql) to be \(expected)")
    }

    private static let tagged = """
        jobs:
          - id: tc
            command: echo tc
            tags: [gpu]
          - id: after
            command: echo after
            dependencies: [tc]
          - id: plain
            command: echo plain

        """

    /// The tester's `build-outdated --queue --wait` for a job tagged `gpu`
    /// with only untagged workers waited silently for 10 minutes; Ctrl-C's
    /// summary did not name the stuck build; nothing could remove it.
    @Test func waitNamesABuildNoLiveWorkerCanClaimAndCancelEndsItAndItsDependents() throws {
        let url = try server.createDatabase()
        let workerCopy = try TestProject(["jobs.yaml": Self.tagged])
        let project = try TestProject(["jobs.yaml": Self.tagged])
        defer {
            workerCopy.remove()
            project.remove()
        }
        let env = ["JCRUN_STORAGE": url]
        let worker = try Background(workerCopy, ["worker", "--lease", "2"], url: url)
        defer { _ = worker.stop() }
        #expect(worker.waitUntil { _, err in err.contains("runs up to 1 build") })

        let waiter = try Background(project, ["build-outdated", "--queue", "--wait"], url: url)
        let warning =
            "jcrun: warning: #2 tc needs a worker with tags gpu, and the one running worker does not have them all; start one ('jcrun worker --tags gpu'), or cancel it with 'jcrun cancel 2'\n"
        #expect(waiter.waitUntil { _, err in err.contains(warning) }, "\(waiter.stderr)")
        #expect(waiter.stdout == "#1 plain\n#2 tc\n#3 after\n")
        try waitFor("SELECT status FROM builds WHERE job = 'plain'", url: url, toBe: "successful")
        #expect(waiter.stop(SIGINT) == 130)
        let stderr = waiter.stderr
        #expect(stderr.components(separatedBy: warning).count == 2, "said once: \(stderr)")
        #expect(stderr.contains("1 built, 2 not run in "), "\(stderr)")
        #expect(stderr.contains("(interrupted by SIGINT)"))
        #expect(stderr.contains("  tc     not run: still queued as #2, not claimed by a worker (jcrun cancel 2)\n"))
        #expect(stderr.contains("  after  not run: still queued as #3, not claimed by a worker (jcrun cancel 3)\n"))
        #expect(try project.run(["list"], environment: env).stdout.contains("tc     queued"))

        // `delete` points at `cancel`; `cancel` ends the build and what waits for it.
        let delete = try project.run(["delete", "2", "--yes"], environment: env)
        #expect(delete.status == 2)
        #expect(
            delete.stderr
                == "jcrun: error: build #2 is created; only a finished build can be deleted (a queued build no worker has claimed yet: 'jcrun cancel 2' ends it)\n"
        )
        let cancel = try project.run(["cancel", "2"], environment: env)
        #expect(cancel.status == 0)
        #expect(
            cancel.stderr
                == "jcrun: cancelled build #2 of 'tc'; build #3, queued to wait for it, failed (dependency_failed)\n")
        let builds = try project.run(["builds"], environment: env).stdout
        #expect(
            TestProject.maskTimes(builds).contains("#2  tc     failed      T  -     cancelled before a worker claimed it\n"),
            "\(builds)")
        let rows = try server.rows(
            "SELECT id, status, failure_kind, error FROM builds WHERE job <> 'plain' ORDER BY id", url: url)
        #expect(rows == [
            ["2", "failed", "cancelled", "cancelled before a worker claimed it"],
            ["3", "failed", "dependency_failed", "dependency 'tc' was cancelled"],
        ])
        let again = try project.run(["cancel", "2", "1"], environment: env)
        #expect(again.status == 2)
        #expect(
            again.stderr
                == "jcrun: error: build #2 of 'tc' is already failed; only a queued build that no worker has claimed yet can be cancelled\njcrun: error: build #1 of 'plain' is already successful; only a queued build that no worker has claimed yet can be cancelled\n"
        )
        #expect(worker.stop() == 0)
    }

    /// A `--wait` following a build that gets cancelled ends, as after a failure.
    @Test func aWaitEndsWhenItsBuildIsCancelledAndWithNoWorkerSaysNoneRuns() throws {
        let url = try server.createDatabase()
        let project = try TestProject(["jobs.yaml": Self.tagged])
        defer { project.remove() }
        let waiter = try Background(project, ["after", "--queue", "--wait"], url: url)
        let warning =
            "jcrun: warning: no worker is running to claim queued 2 builds #1 tc and #2 after; start one ('jcrun worker'), or cancel them with 'jcrun cancel 1 2'\n"
        #expect(waiter.waitUntil { _, err in err.contains(warning) }, "\(waiter.stderr)")
        let cancel = try project.run(["cancel", "1"], environment: ["JCRUN_STORAGE": url])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(waiter.wait() == 1)
        let stderr = waiter.stderr
        #expect(stderr.contains("tc failed (cancelled before a worker claimed it)"), "\(stderr)")
        #expect(stderr.contains("after failed (a dependency failed)"), "\(stderr)")
    }

    /// With many builds stuck, one line names two and counts the rest; the
    /// cancel command does not list a thousand ids.
    @Test func manyBuildsNoWorkerCanClaimAreSaidInOneLine() throws {
        let url = try server.createDatabase()
        var yaml = "jobs:\n"
        for index in 0..<12 { yaml += "  - id: j\(index)\n    command: \"true\"\n" }
        let project = try TestProject(["jobs.yaml": yaml])
        defer { project.remove() }
        let waiter = try Background(project, ["build-outdated", "--queue", "--wait"], url: url)
        #expect(waiter.waitUntil { _, err in err.contains("warning") }, "\(waiter.stderr)")
        let first = waiter.stdout.split(separator: "\n").prefix(2).joined(separator: ", ")
        #expect(waiter.stop(SIGINT) == 130)
        #expect(
            waiter.stderr.hasPrefix(
                "jcrun: warning: no worker is running to claim queued 12 builds \(first) and 10 more; start one ('jcrun worker'), or cancel them with 'jcrun cancel BUILD...' (the ids --queue printed)\n"
            ), "\(waiter.stderr)")
        #expect(waiter.stderr.contains("0 built, 12 not run in "))
    }

    /// `status` on PostgreSQL showed a local run killed with `kill -9` as
    /// `running` for as long as no command wrote; SQLite reaped it at once.
    @Test func statusOnPostgresReapsALocalRunKilledWithSigkill() throws {
        let url = try server.createDatabase()
        let project = try TestProject(["jobs.yaml": "jobs:\n  - id: pgslow\n    command: sleep 30\n"])
        defer { project.remove() }
        let env = ["JCRUN_STORAGE": url]
        let run = try Background(project, ["pgslow"], url: url)
        try waitFor(
            "SELECT count(*) FROM builds WHERE status = 'running' AND process_group IS NOT NULL",
            url: url, toBe: "1")
        let group = try server.rows("SELECT process_group FROM builds", url: url).first?.first ?? nil
        #expect(run.stop(SIGKILL) == 9)
        let status = try project.run(["status", "pgslow"], environment: env)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(TestProject.maskTimes(status.stdout).hasPrefix("pgslow  failed  #1  T"), "\(status.stdout)")
        #expect(
            try server.rows("SELECT status, failure_kind FROM builds", url: url) == [
                ["failed", "runner_died"]
            ])
        // Its job's process went with it.
        if let group, let number = Int32(group) {
            let deadline = Date().addingTimeInterval(10)
            while kill(-number, 0) == 0 && Date() < deadline { usleep(20_000) }
            #expect(kill(-number, 0) != 0, "process group \(number) still alive")
        }
        let builds = try project.run(["builds"], environment: env)
        #expect(builds.stdout.contains("runner died"), "\(builds.stdout)")
    }

    /// `--wait` showed `[1/2] failer started`, then `started (attempt 2)`,
    /// never the first attempt's failure; it now draws what a local run does.
    @Test func waitShowsARetriedAttemptsFailureAsALocalRunDoes() throws {
        func yaml(_ marker: String) -> String {
            """
            jobs:
              - id: failer
                command: ["sh", "-c", "if [ -e \(marker) ]; then exit 0; fi; touch \(marker); echo first try fails >&2; exit 1"]
                retries: 1
              - id: a
                command: echo a
                dependencies: [failer]

            """
        }
        let markers = (0..<2).map { _ in NSTemporaryDirectory() + "fixq-marker-\(UUID().uuidString.prefix(8))" }
        defer { for marker in markers { try? FileManager.default.removeItem(atPath: marker) } }
        let local = try TestProject(["jobs.yaml": yaml(markers[0])])
        let url = try server.createDatabase()
        let workerCopy = try TestProject(["jobs.yaml": yaml(markers[1])])
        let queued = try TestProject(["jobs.yaml": yaml(markers[1])])
        defer {
            local.remove()
            workerCopy.remove()
            queued.remove()
        }
        let worker = try Background(workerCopy, ["worker", "--lease", "2"], url: url)
        defer { _ = worker.stop() }
        let localRun = try local.run(["build-outdated"])
        let queuedRun = try queued.run(["build-outdated", "--queue", "--wait"], environment: ["JCRUN_STORAGE": url])
        #expect(localRun.status == 0)
        #expect(queuedRun.status == 0)
        let progress = "[1/2] failer started\n[1/2] failer failed in T (exit 1)\n[1/2] failer started (attempt 2)\n[1/2] failer successful in T [attempt 2]\n[2/2] a started\n[2/2] a successful in T\n"
        #expect(TestProject.maskTimes(localRun.stderr).hasPrefix(progress), "\(localRun.stderr)")
        #expect(TestProject.maskTimes(queuedRun.stderr).hasPrefix(progress), "\(queuedRun.stderr)")
        // The summaries list the same builds, ids in one column.
        let summary = TestProject.maskTimes(queuedRun.stderr).dropFirst(progress.count)
        #expect(summary == "2 built in T\n  failer  #3  successful in T [attempt 2]\n  a       #2  successful in T\n")
    }
}
