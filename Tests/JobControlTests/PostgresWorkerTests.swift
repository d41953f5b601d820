import Foundation
import PostgresTestSupport
import Testing

@testable import JobControl

/// `Worker` in this process against a real PostgreSQL queue, running real
/// processes with the `ProcessLauncher`.
@Suite(
    .enabled(
        if: PostgresTestServer.skipReason == nil, "no PostgreSQL server (see the printed reason)"))
struct PostgresWorkerTests {
    private func shell(_ id: JobID, _ script: String, deps: [JobID] = [], retries: Int = 0) -> Job {
        Job(
            id: id, command: .argv([.text("/bin/sh"), .text("-c"), .text(script)]),
            dependencies: deps, retries: retries)
    }

    private func jobSet(_ jobs: [Job]) -> JobSet {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory())
        return JobSet(
            projectDir: folder, jobsDir: folder.appendingPathComponent("jobs.d"),
            settings: Settings(), jobs: jobs)
    }

    private func plan(_ jobs: JobSet) -> Plan {
        Plan(builds: jobs.jobs.map { PlannedBuild(job: $0.id, reason: .neverBuilt) })
    }

    /// Starts a worker on a thread; returns it and a group that ends with it.
    private func startWorker(_ jobs: JobSet, url: String, options: Worker.Options) throws -> (
        Worker, DispatchGroup, WorkerSummaryBox
    ) {
        let worker = try Worker(
            jobs: jobs, open: { try PostgresStore.open(url: url, mode: .write) }, options: options)
        let group = DispatchGroup()
        let box = WorkerSummaryBox()
        group.enter()
        Thread {
            box.summary = worker.run()
            group.leave()
        }.start()
        return (worker, group, box)
    }

    @Test func aWorkerRunsAQueuedPlanInOrderPassingReturnValues() throws {
        let url = try PostgresTestServer.shared.get().createDatabase()
        let store = try PostgresStore.open(url: url, mode: .write)
        let jobs = jobSet([
            shell("setup", "echo '@retval /data/1'; echo hello; echo oops >&2"),
            shell("report", #"echo "@retval got $JCRUN_RETVAL_SETUP""#, deps: ["setup"]),
            shell("broken", "exit 3", deps: ["setup"]),
            shell("after", "true", deps: ["broken"]),
        ])
        let queued = try store.enqueue(
            QueueFollower.requests(for: plan(jobs), jobs: jobs), trigger: "queue")
        let (worker, group, box) = try startWorker(
            jobs, url: url, options: Worker.Options(slots: 2, poll: 0.2))
        let outcome = try QueueFollower.follow(queued.map(\.build.id), queue: store)
        worker.stop()
        group.wait()

        #expect(outcome.builds.map(\.status) == [.successful, .successful, .failed, .failed])
        #expect(outcome.exitReason == .failed)
        let report = outcome.builds[1]
        #expect(report.retval == "got /data/1")
        #expect(report.runner?.pid == getpid())
        #expect(report.runner?.processGroup != nil)
        #expect(try store.inputs(of: report.id).map(\.consumed) == [outcome.builds[0].id])
        #expect(outcome.builds[2].failureKind == .exit)
        #expect(outcome.builds[2].exitCode == 3)
        #expect(outcome.builds[3].failureKind == .dependencyFailed)
        let log = try store.logs(LogQuery(build: outcome.builds[0].id))
        #expect(log.map(\.text).sorted() == ["hello", "oops"])
        #expect(box.summary?.buildsRun == 3)
        #expect(box.summary?.interruptedBy == nil)
    }

    @Test func aQueuedBuildSeesItsJobsPreviousValue() throws {
        let url = try PostgresTestServer.shared.get().createDatabase()
        let store = try PostgresStore.open(url: url, mode: .write)
        let jobs = jobSet([shell("count", #"echo "@retval $(( ${JCRUN_PREVIOUS_RETVAL:-0} + 1 ))""#)])
        let (worker, group, _) = try startWorker(jobs, url: url, options: Worker.Options(poll: 0.2))
        var values: [String?] = []
        for _ in 0..<3 {
            let queued = try store.enqueue(QueueFollower.requests(for: plan(jobs), jobs: jobs), trigger: "queue")
            values.append(try QueueFollower.follow(queued.map(\.build.id), queue: store).builds.first?.retval)
        }
        worker.stop()
        group.wait()
        #expect(values == ["1", "2", "3"])
    }

    @Test(.bug(id: 10)) func aQueuedBuildConsumesItsPinnedDependencyBuild() throws {
        let url = try PostgresTestServer.shared.get().createDatabase()
        let store = try PostgresStore.open(url: url, mode: .write)
        let jobs = jobSet([
            shell("setup", "echo '@retval new'"),
            shell("report", #"echo "@retval got $JCRUN_RETVAL_SETUP""#, deps: ["setup"]),
        ])
        let (worker, group, _) = try startWorker(jobs, url: url, options: Worker.Options(poll: 0.2))
        var setups: [BuildRecord] = []
        for _ in 0..<2 {
            let queued = try store.enqueue(
                QueueFollower.requests(
                    for: Plan(builds: [PlannedBuild(job: "setup", reason: .neverBuilt)]), jobs: jobs),
                trigger: "queue")
            setups += try QueueFollower.follow(queued.map(\.build.id), queue: store).builds
        }
        // The first build's value is "new" too; mark it apart to see which one is consumed.
        _ = try PostgresTestServer.shared.get().rows(
            "UPDATE builds SET retval = 'old' WHERE id = \(setups[0].id) RETURNING id", url: url)
        let pinned = Plan(builds: [
            PlannedBuild(job: "report", reason: .neverBuilt, pins: ["setup": setups[0].id])
        ])
        let queued = try store.enqueue(
            QueueFollower.requests(for: pinned, jobs: jobs), trigger: "queue")
        let outcome = try QueueFollower.follow(queued.map(\.build.id), queue: store)
        worker.stop()
        group.wait()
        let report = try #require(outcome.builds.first)
        #expect(report.retval == "got old")
        #expect(
            try store.inputs(of: report.id)
                == [
                    BuildInput(
                        build: report.id, dependency: "setup", consumed: setups[0].id,
                        retval: "old", pinned: true)
                ])
    }

    @Test func aDefinitionThatDiffersOnTheWorkerFailsTheBuild() throws {
        let url = try PostgresTestServer.shared.get().createDatabase()
        let store = try PostgresStore.open(url: url, mode: .write)
        let queuedJobs = jobSet([shell("a", "true")])
        let workerJobs = jobSet([shell("a", "echo changed")])
        let queued = try store.enqueue(
            QueueFollower.requests(for: plan(queuedJobs), jobs: queuedJobs), trigger: "queue")
        let (worker, group, _) = try startWorker(
            workerJobs, url: url, options: Worker.Options(poll: 0.2))
        let outcome = try QueueFollower.follow(queued.map(\.build.id), queue: store)
        worker.stop()
        group.wait()
        #expect(outcome.builds.first?.failureKind == .startFailed)
        #expect(outcome.builds.first?.error == "definition differs on this worker")
    }

    @Test func aStoppedWorkerLetsBuildsFinishWithinGraceThenInterruptsThem() throws {
        let url = try PostgresTestServer.shared.get().createDatabase()
        let store = try PostgresStore.open(url: url, mode: .write)
        let jobs = jobSet([
            shell("quick", "sleep 0.3"), shell("slow", "sleep 30"),
            shell("later", "true", deps: ["quick"]),
        ])
        let queued = try store.enqueue(
            QueueFollower.requests(for: plan(jobs), jobs: jobs), trigger: "queue")
        let (worker, group, box) = try startWorker(
            jobs, url: url, options: Worker.Options(slots: 2, grace: 1, poll: 0.2))
        while try store.builds(BuildQuery(status: .running)).count < 2 { usleep(20_000) }
        worker.stop(signal: SIGTERM)
        group.wait()
        let records = try queued.map { try #require(try store.build($0.build.id)) }
        #expect(records.map(\.status) == [.successful, .failed, .created])
        #expect(records[1].failureKind == .interrupted)
        #expect(box.summary?.interruptedBy == SIGTERM)
    }
}

final class WorkerSummaryBox: @unchecked Sendable {
    var summary: Worker.Summary?
}
