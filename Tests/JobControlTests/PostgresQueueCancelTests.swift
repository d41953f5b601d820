import Foundation
import PostgresTestSupport
import Testing

@testable import JobControl

/// What the queue needs so that no queued build waits forever unseen:
/// cancelling builds no worker claimed (their dependents fail), the live
/// workers and their tags (`--wait` says when none can claim a build),
/// every attempt of a retried build for `--wait`, and the schema that
/// holds the workers.
@Suite(
    .enabled(
        if: PostgresTestServer.skipReason == nil, "no PostgreSQL server (see the printed reason)"))
struct PostgresQueueCancelTests: PostgresQueueFixture {
    @Test func cancellingAQueuedBuildFailsItAndEveryBuildWaitingForIt() throws {
        let (store, _) = try newStore()
        let queued = try store.enqueue(
            [request("a", tags: ["gpu"]), request("b", deps: ["a"]), request("c", deps: ["b"]),
             request("d")], trigger: "queue")
        let ids = queued.map(\.build.id)
        let outcomes = try store.cancelQueued([ids[0]])
        guard case .cancelled(let record, let dependents)? = outcomes[ids[0]] else {
            Issue.record("not cancelled: \(String(describing: outcomes[ids[0]]))")
            return
        }
        #expect(record.status == .failed)
        #expect(record.failureKind == .cancelled)
        #expect(record.error == "cancelled before a worker claimed it")
        #expect(record.finishedAt != nil)
        #expect(dependents == [ids[1], ids[2]])
        let b = try #require(try store.build(ids[1]))
        let c = try #require(try store.build(ids[2]))
        #expect(b.failureKind == .dependencyFailed)
        #expect(b.error == "dependency 'a' was cancelled")
        #expect(c.failureKind == .dependencyFailed)
        #expect(c.error == "dependency 'b' failed")
        // Nothing cancelled is claimed; the independent build still is.
        #expect(try claim(store, tags: ["gpu"])?.job == "d")
        #expect(try claim(store, tags: ["gpu"]) == nil)
        // Cancelling again, or a claimed build, changes nothing.
        guard case .claimedOrFinished(let again)? = try store.cancelQueued([ids[0]])[ids[0]] else {
            Issue.record("cancelled twice")
            return
        }
        #expect(again.status == .failed)
        guard case .claimedOrFinished(let running)? = try store.cancelQueued([ids[3]])[ids[3]] else {
            Issue.record("a claimed build was cancelled")
            return
        }
        #expect(running.status == .running)
        #expect(try store.build(ids[3])?.status == .running)
        #expect(try store.cancelQueued([999_999])[999_999] == .noSuchBuild)
    }

    @Test func aLocalRunsBuildIsNotQueuedAndNotCancelled() throws {
        let (store, _) = try newStore()
        let local = try store.createBuild(NewBuild(
                job: "x", trigger: "cli", reason: "requested", configSnapshot: "{}", configHash: "h"))
        guard case .notQueued(let record)? = try store.cancelQueued([local.id])[local.id] else {
            Issue.record("a local run's build was cancelled")
            return
        }
        #expect(record.id == local.id)
        #expect(try store.build(local.id)?.status == local.status)
    }

    @Test func waitingBuildsSayWhetherALiveWorkerCarriesTheirTags() throws {
        let (store, _) = try newStore()
        let queued = try store.enqueue([request("plain"), request("g", tags: ["gpu"])], trigger: "queue")
        let ids = queued.map(\.build.id)
        var waiting = try store.waitingBuilds(ids)
        #expect(waiting == [
            WaitingBuild(build: ids[0], tags: [], claimable: false, liveWorkers: 0),
            WaitingBuild(build: ids[1], tags: ["gpu"], claimable: false, liveWorkers: 0),
        ])
        let me = RunnerIdentity.current()
        try store.announceWorker(owner: "w1", runner: me, tags: [], slots: 1, lease: 15)
        waiting = try store.waitingBuilds(ids)
        #expect(waiting.map(\.claimable) == [true, false])
        #expect(waiting.map(\.liveWorkers) == [1, 1])
        try store.announceWorker(owner: "w2", runner: me, tags: ["gpu", "linux"], slots: 2, lease: 15)
        #expect(try store.waitingBuilds(ids).map(\.claimable) == [true, true])
        try store.retireWorker(owner: "w2")
        #expect(try store.waitingBuilds(ids).map(\.claimable) == [true, false])
        // A worker that stopped announcing itself is dead once its time is up.
        try store.announceWorker(owner: "w3", runner: me, tags: ["gpu"], slots: 1, lease: 0.1)
        #expect(try store.waitingBuilds(ids).map(\.claimable) == [true, true])
        usleep(300_000)
        #expect(try store.waitingBuilds(ids).map(\.claimable) == [true, false])
        // A claimed build no longer waits.
        #expect(try claim(store)?.job == "plain")
        #expect(try store.waitingBuilds(ids).map(\.build) == [ids[1]])
    }

    @Test func followingShowsAFailedAttemptBeforeItsRetryEvenWhenBothEndedBetweenPolls() throws {
        let (store, _) = try newStore()
        let queued = try store.enqueue([request("failer", retries: 2)], trigger: "queue")
        let origin = queued[0].build.id
        for status in [BuildStatus.failed, .failed, .successful] {
            let build = try #require(try claim(store))
            let kind: FailureKind? = status == .failed ? .exit : nil
            try store.finishBuild(
                build.id,
                result: BuildResult(status: status, failureKind: kind, exitCode: kind == nil ? 0 : 1))
        }
        #expect(try store.attempts(of: [origin])[origin]?.count == 3)
        var seen: [String] = []
        let outcome = try QueueFollower.follow(
            [origin], queue: store, poll: 0.01,
            onUpdate: { record in
                seen.append("#\(record.id) attempt \(record.attempt) \(record.status.rawValue)")
            })
        let chain = try #require(try store.attempts(of: [origin])[origin])
        #expect(seen == [
            "#\(chain[0]) attempt 1 failed", "#\(chain[1]) attempt 2 failed",
            "#\(chain[2]) attempt 3 successful",
        ])
        #expect(outcome.builds.map(\.id) == [chain[2]])
    }

    @Test func aSchema6StoreMigratesToTheWorkersTableAndItsBuildsStillShow() throws {
        let url = try PostgresTestServer.shared.get().createDatabase()
        let raw = try PostgresConnection(url: url)
        try raw.transaction {
            for step in PostgresSQL.migrations.prefix(6) { try raw.execute(step) }
            try raw.query(PostgresSQL.setVersion, [.int(6)])
            try raw.execute(
                """
                INSERT INTO builds (id, job, status, created_at, started_at, finished_at)
                VALUES (1, 'a', 'successful', 10, 20, 30), (2, 'b', 'created', 40, NULL, NULL);
                INSERT INTO queue (build) VALUES (2);
                """)
        }
        #expect(throws: StoreError.needsMigration(
            path: PostgresURL.redacted(url), found: 6, supported: PostgresStore.schemaVersion)) {
            try PostgresStore.open(url: url, mode: .readOnly)
        }
        #expect(try PostgresStore.install(url: url) == .migrated(from: 6, to: 7))
        let store = try PostgresStore.open(url: url, mode: .write)
        #expect(try store.builds(BuildQuery()).map(\.job) == ["b", "a"])
        #expect(try store.waitingBuilds([2]).map(\.build) == [2])
        try PostgresStore.uninstall(url: url)
        #expect(try !raw.query(PostgresSQL.tableExists, [.text("workers")]).bool(0, 0))
    }
}
