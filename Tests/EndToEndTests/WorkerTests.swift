import Foundation
import PostgresTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `--queue`, `--wait` and `jcrun worker` with the built jcrun against a
/// PostgreSQL server the suite starts: several workers, each with its own
/// copy of the project, share one store.
@Suite(
    .enabled(
        if: PostgresTestServer.skipReason == nil, "no PostgreSQL server (see the printed reason)"))
struct WorkerTests {
    private var server: PostgresTestServer { get throws { try PostgresTestServer.shared.get() } }

    /// `count` copies of a project with `jobs` as `jobs.d/jobs.yaml`.
    private func projects(_ jobs: String, count: Int) throws -> [TestProject] {
        try (0..<count).map { _ in try TestProject(["jobs.yaml": jobs]) }
    }

    /// A running `jcrun worker` in `project`; its stderr goes to a file.
    private final class WorkerProcess {
        let process = Process()
        let log: URL

        init(_ project: TestProject, url: String, arguments: [String] = []) throws {
            log = project.dir.appendingPathComponent("worker-\(UUID().uuidString.prefix(6)).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = Jcrun.binary
            process.arguments = ["worker", "--lease", "2"] + arguments
            process.currentDirectoryURL = project.dir
            var environment = ProcessInfo.processInfo.environment
            environment["JCRUN_STORAGE"] = url
            environment["NO_COLOR"] = "1"
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
        }

        var pid: Int32 { process.processIdentifier }

        /// SIGTERM, then the exit status (SIGKILL after 30 s).
        func stop() -> Int32 {
            guard process.isRunning else { return process.terminationStatus }
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(pid, SIGKILL) }
            process.waitUntilExit()
            return process.terminationStatus
        }

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    }

    /// Waits until `sql` returns `expected` (up to 60 s).
    private func waitFor(_ sql: String, url: String, toBe expected: String) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try server.rows(sql, url: url).first?.first == expected { return }
            usleep(50_000)
        }
        Issue.record("timed out waiting for \(sql) to be \(expected)")
    }

    @Test func queueOnAnSQLiteStoreIsRefused() throws {
        let project = try TestProject(["jobs.yaml": "jobs:\n  - id: a\n    command: \"true\"\n"])
        defer { project.remove() }
        let result = try project.run(["build-outdated", "--queue"])
        let path = project.dir.appendingPathComponent(".jcrun/state.db").standardizedFileURL.path
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: \(path): --queue needs a PostgreSQL store (storage: postgresql://...), which workers on several machines can share; this is an SQLite file\n"
        )
        let worker = try project.run(["worker"])
        #expect(worker.status == 2)
        #expect(worker.stderr.contains("'jcrun worker' needs a PostgreSQL store"))
        #expect(
            try project.run(["a", "--wait"]).stderr
                == "jcrun: error: option '--wait' needs '--queue'\n")
    }

    @Test func threeHundredJobsRunOnThreeWorkersEachOnceInDependencyOrder() throws {
        let url = try server.createDatabase()
        let order = NSTemporaryDirectory() + "jcrun-order-\(UUID().uuidString.prefix(8)).txt"
        defer { try? FileManager.default.removeItem(atPath: order) }
        // 30 layers of 10; each job needs two jobs of the layer before.
        var yaml = "jobs:\n"
        for index in 0..<300 {
            yaml +=
                "  - id: j\(index)\n    command: [\"sh\", \"-c\", \"echo $JCRUN_JOB_ID >> \(order)\"]\n"
            if index >= 10 {
                let layer = index / 10 - 1
                yaml +=
                    "    dependencies: [j\(layer * 10 + index % 10), j\(layer * 10 + (index + 3) % 10)]\n"
            }
        }
        let copies = try projects(yaml, count: 4)
        defer { for copy in copies { copy.remove() } }
        let workers = try copies.prefix(3).map { try WorkerProcess($0, url: url) }
        defer { for worker in workers { _ = worker.stop() } }

        let queued = try copies[3].run(
            ["build-outdated", "--queue", "--wait", "--quiet"], environment: ["JCRUN_STORAGE": url])
        #expect(queued.status == 0, "\(queued.stderr)")
        #expect(queued.stdout.split(separator: "\n").count == 300)
        for worker in workers { #expect(worker.stop() == 0, "\(worker.output)") }

        // Each job built once, successfully, by one of the three workers.
        let builds = try server.rows("SELECT job, status, runner_pid FROM builds", url: url)
        #expect(builds.count == 300)
        #expect(Set(builds.map { $0[0] ?? "" }).count == 300)
        #expect(builds.allSatisfy { $0[1] == "successful" })
        let pids = Set(workers.map { String($0.pid) })
        #expect(builds.allSatisfy { pids.contains($0[2] ?? "") })

        // Every job ran after the jobs it needs.
        let ran = try String(contentsOfFile: order, encoding: .utf8).split(separator: "\n").map(
            String.init)
        #expect(ran.count == 300)
        var position: [String: Int] = [:]
        for (index, job) in ran.enumerated() { position[job] = index }
        for index in 10..<300 {
            let layer = index / 10 - 1
            for dep in [layer * 10 + index % 10, layer * 10 + (index + 3) % 10] {
                #expect(
                    (position["j\(dep)"] ?? .max) < (position["j\(index)"] ?? -1),
                    "j\(dep) before j\(index)")
            }
        }
    }

    @Test func aWorkerKilledMidBuildLosesItAndAnotherWorkerRetriesIt() throws {
        let url = try server.createDatabase()
        let marker = NSTemporaryDirectory() + "jcrun-marker-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let yaml = """
            jobs:
              - id: slow
                command: ["sh", "-c", "if [ -e \(marker) ]; then echo second; exit 0; fi; touch \(marker); sleep 60"]
                retries: 1
              - id: after
                command: "true"
                dependencies: [slow]

            """
        let copies = try projects(yaml, count: 3)
        defer { for copy in copies { copy.remove() } }
        let first = try WorkerProcess(copies[0], url: url)
        defer { _ = first.stop() }
        let queued = try copies[2].run(
            ["build-outdated", "--queue"], environment: ["JCRUN_STORAGE": url])
        #expect(queued.status == 0, "\(queued.stderr)")
        #expect(queued.stdout == "#1 slow\n#2 after\n")
        try waitFor(
            "SELECT count(*) FROM builds WHERE status = 'running' AND process_group IS NOT NULL",
            url: url, toBe: "1")
        let group = try #require(
            try server.rows("SELECT process_group FROM builds WHERE id = 1", url: url).first?.first
                ?? nil)

        // kill -9 the worker in the middle of the build; another takes over.
        kill(first.pid, SIGKILL)
        first.process.waitUntilExit()
        let second = try WorkerProcess(copies[1], url: url)
        defer { _ = second.stop() }
        try waitFor(
            "SELECT count(*) FROM builds WHERE status IN ('created', 'running')", url: url,
            toBe: "0")

        let rows = try server.rows(
            "SELECT id, job, status, failure_kind, error, attempt, runner_pid FROM builds ORDER BY id",
            url: url)
        #expect(
            rows.map { $0.prefix(6).map { ($0 ?? "-").replacingOccurrences(of: #"; last seen at \S+$"#, with: "; last seen at T", options: .regularExpression) } } == [
                ["1", "slow", "failed", "runner_died", "runner died (its lease expired); last seen at T", "1"],
                ["2", "after", "successful", "-", "-", "1"],
                ["3", "slow", "successful", "-", "-", "2"],
            ])
        #expect(rows[2][6] == String(second.pid))
        #expect(
            livingMembers(ofGroup: Int32(group) ?? 0).isEmpty,
            "the first attempt's processes are gone")
        #expect(second.stop() == 0)
    }

    @Test func sigtermLetsBuildsFinishWithinGraceThenInterruptsTheRest() throws {
        let url = try server.createDatabase()
        let yaml = """
            jobs:
              - id: quick
                command: ["sh", "-c", "sleep 1"]
              - id: slow
                command: ["sh", "-c", "sleep 60"]

            """
        let copies = try projects(yaml, count: 2)
        defer { for copy in copies { copy.remove() } }
        let worker = try WorkerProcess(copies[0], url: url, arguments: ["-j", "2", "--grace", "3"])
        defer { _ = worker.stop() }
        let queued = try copies[1].run(["build-outdated", "--queue"], environment: ["JCRUN_STORAGE": url])
        #expect(queued.status == 0, "\(queued.stderr)")
        try waitFor(
            "SELECT count(*) FROM builds WHERE status = 'running' AND process_group IS NOT NULL", url: url,
            toBe: "2")
        #expect(worker.stop() == 143, "\(worker.output)")
        let rows = try server.rows(
            "SELECT job, status, failure_kind, signal FROM builds ORDER BY job", url: url)
        #expect(rows.map { $0.map { $0 ?? "-" } } == [
            ["quick", "successful", "-", "-"],
            ["slow", "failed", "interrupted", "SIGTERM"],
        ])
    }

    /// A build queued for a worker that never comes (no worker has the
    /// job's tags) labelled the job `running`, even after a newer local
    /// success; `why` said "build #1 is queued".
    @Test func aJobWithOnlyAQueuedBuildIsLabelledQueued() throws {
        let url = try server.createDatabase()
        let project = try TestProject(["jobs.yaml": "jobs:\n  - id: tagged\n    tags: [gpu]\n    command: \"true\"\n"])
        defer { project.remove() }
        let env = ["JCRUN_STORAGE": url]
        #expect(try project.run(["tagged", "--queue"], environment: env).stdout == "#1 tagged\n")
        #expect(try project.run(["tagged", "-q"], environment: env).status == 0)
        let status = try project.run(["status"], environment: env).stdout
        #expect(TestProject.maskTimes(status) == "tagged  queued  #2  T  T\n")
        #expect(try project.run(["list"], environment: env).stdout == "tagged  queued\n")
        #expect(try project.run(["status", "--json"], environment: env).stdout.contains(#""status":"queued""#))
    }

    @Test func twoQueueRunsOfTheSameJobsAtOnceBuildEachJobOnce() throws {
        let url = try server.createDatabase()
        var yaml = "jobs:\n"
        for index in 0..<20 {
            yaml += "  - id: j\(index)\n    command: \"true\"\n"
            if index > 0 { yaml += "    dependencies: [j\(index - 1)]\n" }
        }
        let copies = try projects(yaml, count: 3)
        defer { for copy in copies { copy.remove() } }
        let results = ResultPair()
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let result = try? copies[index].run(
                ["build-outdated", "--queue"], environment: ["JCRUN_STORAGE": url])
            results.set(index, result)
        }
        #expect(results.statuses == [0, 0])
        let worker = try WorkerProcess(copies[2], url: url, arguments: ["-j", "2"])
        defer { _ = worker.stop() }
        try waitFor(
            "SELECT count(*) FROM builds WHERE status IN ('created', 'running')", url: url,
            toBe: "0")
        let perJob = try server.rows(
            "SELECT job, count(*), min(status) FROM builds GROUP BY job", url: url)
        #expect(perJob.count == 20)
        #expect(perJob.allSatisfy { $0[1] == "1" && $0[2] == "successful" })
    }

    @Test func waitFollowsQueuedBuildsAndExitsAsALocalRunWould() throws {
        let url = try server.createDatabase()
        let yaml = """
            jobs:
              - id: setup
                command: ["sh", "-c", "echo '@retval /data/1'"]
              - id: broken
                command: "echo something went wrong >&2; exit 4"
                dependencies: [setup]
              - id: after
                command: "true"
                dependencies: [broken]

            """
        let copies = try projects(yaml, count: 2)
        defer { for copy in copies { copy.remove() } }
        let worker = try WorkerProcess(copies[0], url: url)
        defer { _ = worker.stop() }
        let result = try copies[1].run(
            ["build-outdated", "--queue", "--wait"], environment: ["JCRUN_STORAGE": url])
        #expect(result.status == 1)
        #expect(result.stdout == "#1 setup\n#2 broken\n#3 after\n")
        #expect(result.stderr.contains("something went wrong"))
        let status = try copies[1].run(["status"], environment: ["JCRUN_STORAGE": url])
        #expect(status.status == 0)
        #expect(status.stdout.contains("broken"))
        let builds = try copies[1].run(["builds"], environment: ["JCRUN_STORAGE": url])
        #expect(builds.stdout.contains("(on \(hostName()) pid \(worker.pid))"), "\(builds.stdout)")
        let log = try copies[1].run(["log", "broken"], environment: ["JCRUN_STORAGE": url])
        #expect(log.stdout.contains("stderr info     something went wrong"), "\(log.stdout)")
        #expect(worker.stop() == 0)
        #expect(!worker.output.contains(PostgresTestServer.password))
    }

    /// Pids of processes in `group` that are not zombies (an orphan killed
    /// here may wait a while for init to reap it).
    private func livingMembers(ofGroup group: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && fields[0] != "Z" && Int32(fields[2]) == group
        }
    }

    private func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        return String(cString: buffer)
    }
}

final class ResultPair: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Int: Jcrun.Result] = [:]

    func set(_ index: Int, _ result: Jcrun.Result?) { lock.withLock { results[index] = result } }

    var statuses: [Int32] { lock.withLock { (0..<2).map { results[$0]?.status ?? -1 } } }
}
