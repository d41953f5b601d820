import Foundation
import PostgresTestSupport
import Testing

@testable import JobControl

/// The build queue on PostgreSQL: enqueueing, claiming in dependency order
/// with tags, failures, retries, leases, and workers running builds.
@Suite(
    .enabled(
        if: PostgresTestServer.skipReason == nil, "no PostgreSQL server (see the printed reason)"))
struct PostgresQueueTests: PostgresQueueFixture {
    @Test func enqueueStoresCreatedBuildsAndASecondRunJoinsThem() throws {
        let (store, _) = try newStore()
        let first = try store.enqueue([request("a"), request("b", deps: ["a"])], trigger: "queue")
        #expect(first.map(\.build.job) == ["a", "b"])
        #expect(first.map(\.reused) == [false, false])
        for queued in first {
            #expect(queued.build.status == .created)
            #expect(queued.build.reason == "never built")
            #expect(queued.build.trigger == "queue")
            #expect(queued.build.configHash == "h-\(queued.build.job)")
            #expect(queued.build.configSnapshot == #"{"job":"\#(queued.build.job)"}"#)
        }
        let second = try store.enqueue(
            [request("a"), request("b", deps: ["a"]), request("c", deps: ["b"])], trigger: "queue")
        #expect(second.map(\.reused) == [true, true, false])
        #expect(second[0].build.id == first[0].build.id)
        #expect(try store.builds(BuildQuery()).count == 3)
    }

    @Test func buildsAreClaimedInDependencyOrderAndByTags() throws {
        let (store, _) = try newStore()
        let queued = try store.enqueue(
            [
                request("a"), request("big", tags: ["big-disk", "linux"]),
                request("b", deps: ["a"]),
            ], trigger: "queue")
        let a = try #require(try claim(store))
        #expect(a.job == "a")
        #expect(a.status == .running)
        #expect(a.runner?.pid == getpid())
        #expect(try claim(store) == nil)  // b waits for a; big needs tags
        #expect(try claim(store, tags: ["big-disk"]) == nil)
        #expect(try claim(store, tags: ["linux", "big-disk", "gpu"])?.job == "big")
        try store.finishBuild(a.id, result: BuildResult(status: .skipped))
        #expect(try claim(store)?.id == queued[2].build.id)
    }

    /// A claimed build another jcrun brought up to date is dropped as a
    /// settled conditional build is: its row goes, its dependent waits for
    /// the other build instead and is ready at once, and its job's lock is
    /// free. Only the lease's holder can drop it.
    @Test func aDroppedClaimedBuildLeavesItsDependentWaitingForTheOtherBuild() throws {
        let (store, url) = try newStore()
        let queued = try store.enqueue([request("a"), request("b", deps: ["a"])], trigger: "queue")
        let claimed = try #require(try claim(store))
        #expect(claimed.id == queued[0].build.id)
        let other = try PostgresStore.open(url: url, mode: .write)
        let local = try other.finishedBuild("a", .successful)
        #expect(try store.dropClaimed(claimed.id, of: "a", upToDateWith: local.id, owner: "someone") == false)
        #expect(try store.build(claimed.id)?.status == .running)
        #expect(try store.dropClaimed(claimed.id, of: "a", upToDateWith: local.id, owner: "test"))
        #expect(try store.build(claimed.id) == nil)
        #expect(try other.tryLockJob("a"))  // the dropping worker's lock is released
        let next = try #require(try claim(store))
        #expect(next.id == queued[1].build.id)
        #expect(try store.dropClaimed(claimed.id, of: "a", upToDateWith: local.id, owner: "test") == false)
    }

    /// Builds the planner chose whatever the job's state are not judged again.
    @Test(arguments: [
        ("never built", true), ("latest build #3 failed (exit)", true),
        ("dependency 'a' is rebuilt first", true), ("requested", false), ("forced (--always)", false),
        ("depends on 'a', which is rebuilt", false),
    ])
    func whichQueuedBuildsAreJudgedAgain(reason: String, judged: Bool) {
        #expect(Worker.isJudgedAgain(reason: reason) == judged)
    }

    @Test func tagsWithQuotesCommasAndAccentsSurviveTheQueue() throws {
        let (store, _) = try newStore()
        let tags = ["a \"quoted\" tag", "back\\slash", "comma,inside", "café"]
        _ = try store.enqueue([request("odd", tags: tags)], trigger: "queue")
        #expect(try claim(store, tags: Array(tags.dropLast())) == nil)
        #expect(try claim(store, tags: tags + ["extra"])?.job == "odd")
    }

    @Test func aFailureFailsItsQueuedDependentsTransitively() throws {
        let (store, _) = try newStore()
        let queued = try store.enqueue(
            [
                request("a"), request("b", deps: ["a"]), request("c", deps: ["b"]), request("d"),
            ], trigger: "queue")
        let a = try #require(try claim(store))
        try store.finishBuild(
            a.id, result: BuildResult(status: .failed, failureKind: .exit, exitCode: 2))
        let b = try #require(try store.build(queued[1].build.id))
        let c = try #require(try store.build(queued[2].build.id))
        #expect(b.status == .failed)
        #expect(b.failureKind == .dependencyFailed)
        #expect(b.error == "dependency 'a' failed")
        #expect(c.failureKind == .dependencyFailed)
        #expect(c.error == "dependency 'b' failed")
        #expect(try claim(store)?.job == "d")
    }

    @Test func aRetriedFailureQueuesTheNextAttemptAndDependentsWaitForIt() throws {
        let (store, _) = try newStore()
        let queued = try store.enqueue(
            [request("a", retries: 1), request("b", deps: ["a"])], trigger: "queue")
        let first = try #require(try claim(store))
        try store.finishBuild(
            first.id, result: BuildResult(status: .failed, failureKind: .exit, exitCode: 1))
        #expect(try store.build(queued[1].build.id)?.status == .created)
        let second = try #require(try claim(store))
        #expect(second.job == "a")
        #expect(second.attempt == 2)
        #expect(second.configHash == "h-a")
        #expect(try store.latestAttempts(of: [first.id])[first.id]?.id == second.id)
        try store.finishBuild(
            second.id, result: BuildResult(status: .failed, failureKind: .exit, exitCode: 1))
        #expect(try store.build(queued[1].build.id)?.failureKind == .dependencyFailed)
        #expect(try store.latestAttempts(of: [first.id])[first.id]?.status == .failed)
    }

    @Test func anExpiredLeaseFailsTheBuildAsRunnerDiedAndQueuesARetry() throws {
        let (store, url) = try newStore()
        _ = try store.enqueue([request("a", retries: 1)], trigger: "queue")
        let other = try PostgresStore.open(url: url, mode: .write)
        let claimed = try #require(
            try other.claimNext(
                tags: [], runner: RunnerIdentity(host: "elsewhere", pid: 7, processStart: 1),
                owner: "w2", lease: 0.2))
        #expect(try store.reapDeadRunners() == [])
        #expect(
            try other.renewLeases(owner: "w2", builds: [claimed.id], lease: 0.2) == [claimed.id])
        usleep(400_000)
        #expect(try store.reapDeadRunners() == [claimed.id])
        let died = try #require(try store.build(claimed.id))
        #expect(died.status == .failed)
        #expect(died.failureKind == .runnerDied)
        #expect(died.error?.hasPrefix("runner died (its lease expired); last seen at ") == true)
        // Ended when last seen (its claim), not when the lease was found expired.
        #expect(try #require(died.duration) < 0.3)
        #expect(try other.renewLeases(owner: "w2", builds: [claimed.id], lease: 15).isEmpty)
        #expect(
            throws: StoreError.refused("cannot finish build #\(claimed.id): it is already failed")
        ) {
            try other.finishBuild(claimed.id, result: BuildResult(status: .successful))
        }
        let retry = try #require(try claim(store))
        #expect(retry.attempt == 2)
    }

    @Test func eightClaimersAtOnceClaimEachBuildExactlyOnce() throws {
        let (store, url) = try newStore()
        let queued = try store.enqueue((0..<80).map { request("job\($0)") }, trigger: "queue")
        let claimed = ClaimLog()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            guard let mine = try? PostgresStore.open(url: url, mode: .write) else { return }
            while let build = try? mine.claimNext(
                tags: [], runner: .current(), owner: "w\(worker)", lease: 15)
            {
                claimed.add(build.id)
            }
        }
        #expect(claimed.ids.sorted() == queued.map(\.build.id).sorted())
    }

    @Test func oneClaimTakesSeveralReadyBuildsInOrderAndLeavesWaitingOnes() throws {
        let (store, _) = try newStore()
        let queued = try store.enqueue(
            [request("a"), request("b", deps: ["a"]), request("c"), request("d")],
            trigger: "queue")
        let runner = RunnerIdentity(host: "w1", pid: 42, processStart: 7)
        let claimed = try store.claim(
            limit: 10, tags: [], runner: runner, owner: "w1", lease: 15)
        #expect(claimed.map(\.build.job) == ["a", "c", "d"])
        for build in claimed {
            #expect(build.build.status == .running)
            #expect(build.build.runner?.host == "w1")
            #expect(build.build.runner?.pid == 42)
        }
        #expect(try store.claim(limit: 10, tags: [], runner: runner, owner: "w1", lease: 15).isEmpty)
        try store.finishBuild(claimed[0].build.id, result: BuildResult(status: .successful))
        let next = try store.claim(limit: 2, tags: [], runner: runner, owner: "w1", lease: 15)
        #expect(next.map(\.build.id) == [queued[1].build.id])
        #expect(try store.claim(limit: 0, tags: [], runner: runner, owner: "w1", lease: 15).isEmpty)
    }

    @Test func startingAClaimedBuildStoresItsStartGroupAndInputsInOneStatement() throws {
        let (store, url) = try newStore()
        _ = try store.enqueue([request("a"), request("b")], trigger: "queue")
        store.clock = { Date(timeIntervalSince1970: 1_000) }
        let a = try #require(try claim(store))
        let b = try #require(try claim(store))
        let inputs = [
            BuildInput(build: a.id, dependency: "x", consumed: 11, retval: "v1"),
            BuildInput(build: a.id, dependency: "y", consumed: 12, retval: nil),
        ]
        try store.startClaimed(
            a.id, at: Date(timeIntervalSince1970: 1_000.004), processGroup: 4242, inputs: inputs)
        let started = try #require(try store.build(a.id))
        #expect(started.status == .running)
        #expect(started.startedAt == Date(timeIntervalSince1970: 1_000.004))
        #expect(started.runner?.processGroup == 4242)
        #expect(try store.inputs(of: a.id) == inputs)

        // Claim to start, from the stored times (bench W11 reads the same).
        let server = try PostgresTestServer.shared.get()
        let rows = try server.rows(
            "SELECT b.started_at - q.claimed_at FROM builds AS b JOIN queue AS q ON q.build = b.id"
                + " WHERE b.id = \(a.id)", url: url)
        #expect(rows == [["4000"]])

        // A build that ended meanwhile (its lease taken over) keeps its row as it was.
        try store.finishBuild(b.id, result: BuildResult(status: .failed, failureKind: .runnerDied))
        try store.startClaimed(
            b.id, at: Date(timeIntervalSince1970: 1_000.5), processGroup: 99, inputs: inputs)
        #expect(try store.build(b.id)?.runner?.processGroup == nil)
        #expect(try store.inputs(of: b.id).isEmpty)
    }

    @Test func pinsTravelWithTheQueuedBuildToItsClaim() throws {
        let (store, _) = try newStore()
        var pinned = request("report", deps: [])
        pinned.pins = ["setup": 41, "other \"quoted\"": 7]
        _ = try store.enqueue([pinned, request("plain")], trigger: "queue")
        let claimed = try store.claim(
            limit: 2, tags: [], runner: .current(), owner: "w", lease: 15)
        #expect(claimed.map(\.pins) == [["setup": 41, "other \"quoted\"": 7], [:]])
    }

    @Test func followingReadsTheNewestAttemptsStatusThroughRetries() throws {
        let (store, _) = try newStore()
        let queued = try store.enqueue([request("a", retries: 1), request("b")], trigger: "queue")
        let origin = queued[0].build.id
        let first = try #require(try claim(store))
        try store.finishBuild(
            first.id, result: BuildResult(status: .failed, failureKind: .exit, exitCode: 1))
        let statuses = try store.latestAttemptStatuses(of: [origin, queued[1].build.id])
        let retry = try #require(statuses[origin])
        #expect(retry.build != origin)
        #expect(retry.status == .created)
        #expect(statuses[queued[1].build.id] == AttemptStatus(build: queued[1].build.id, status: .created))
        let records = try store.records(of: [retry.build, 999_999])
        #expect(records.keys.sorted() == [retry.build])
        #expect(records[retry.build]?.attempt == 2)
    }

    @Test func finishAndClaimEndsABuildAndClaimsTheDependentItMadeReadyInOneRoundTrip() throws {
        let (store, url) = try newStore()
        let queued = try store.enqueue(
            [request("a"), request("b", deps: ["a"]), request("c", deps: ["b"])], trigger: "queue")
        let listener = try PostgresStore.open(url: url, mode: .write)
        _ = try listener.waitForQueueChange(timeout: 0, wakeFD: -1)  // LISTEN
        let a = try #require(try claim(store))
        let outcome = try store.finishAndClaim(
            a.id, result: BuildResult(status: .successful, retval: "1"), limit: 3, tags: [],
            runner: .current(), owner: "test", lease: 15)
        #expect(outcome.finishError == nil)
        #expect(outcome.claimed.map(\.build.id) == [queued[1].build.id])
        #expect(outcome.claimed.first?.build.status == .running)
        #expect(try store.build(a.id)?.status == .successful)
        #expect(try store.build(a.id)?.retval == "1")
        #expect(try listener.waitForQueueChange(timeout: 5, wakeFD: -1))  // b waited for a

        // A failed build retries through finishBuild; the retry is claimed at once.
        let failed = try store.finishAndClaim(
            queued[1].build.id, result: BuildResult(status: .failed, failureKind: .exit, exitCode: 2),
            limit: 1, tags: [], runner: .current(), owner: "test", lease: 15)
        #expect(failed.claimed.isEmpty)  // no retries: c failed with it
        #expect(try store.build(queued[2].build.id)?.failureKind == .dependencyFailed)
    }

    @Test func finishAndClaimOfABuildTakenOverSaysSoAndKeepsWhatItClaimed() throws {
        let (store, _) = try newStore()
        let queued = try store.enqueue([request("a"), request("b")], trigger: "queue")
        let a = try #require(try claim(store))
        try store.finishBuild(a.id, result: BuildResult(status: .failed, failureKind: .runnerDied))
        let outcome = try store.finishAndClaim(
            a.id, result: BuildResult(status: .successful), limit: 1, tags: [],
            runner: .current(), owner: "test", lease: 15)
        #expect(outcome.finishError == .refused("cannot finish build #\(a.id): it is already failed"))
        #expect(outcome.claimed.map(\.build.id) == [queued[1].build.id])
        #expect(try store.build(a.id)?.status == .failed)
    }

    /// A build that ended before its start was written: the start (time,
    /// group, inputs) goes with the end, for a success (one pipeline) and a failure.
    @Test(arguments: [BuildStatus.successful, .failed])
    func finishAndClaimWritesAStartNotYetWrittenWithTheEnd(_ status: BuildStatus) throws {
        let (store, _) = try newStore()
        store.clock = { Date(timeIntervalSince1970: 1_800_000_000) }
        let queued = try store.enqueue([request("a"), request("b", deps: ["a"])], trigger: "queue")
        let a = try #require(try claim(store))
        let next = try store.finishAndClaim(
            a.id, result: BuildResult(status: .successful, retval: "v"), limit: 1, tags: [],
            runner: .current(), owner: "test", lease: 15)
        let b = try #require(next.claimed.first?.build)
        #expect(b.id == queued[1].build.id)
        let startedAt = Date(timeIntervalSince1970: 1_800_000_000.25)
        let input = BuildInput(build: b.id, dependency: "a", consumed: a.id, retval: "v")
        let result =
            status == .successful
            ? BuildResult(status: .successful) : BuildResult(status: .failed, failureKind: .exit, exitCode: 1)
        let outcome = try store.finishAndClaim(
            b.id, result: result, start: BuildStart(at: startedAt, processGroup: 4242, inputs: [input]),
            limit: 1, tags: [], runner: .current(), owner: "test", lease: 15)
        #expect(outcome.finishError == nil)
        let ended = try #require(try store.build(b.id))
        #expect(ended.status == status)
        #expect(ended.startedAt == startedAt)
        #expect(ended.runner?.processGroup == 4242)
        #expect(try store.inputs(of: b.id) == [input])
    }

    @Test func aNotificationWakesAWaitingListener() throws {
        let (store, url) = try newStore()
        _ = try store.waitForQueueChange(timeout: 0, wakeFD: -1)  // LISTEN
        let other = try PostgresStore.open(url: url, mode: .write)
        _ = try other.enqueue([request("a")], trigger: "queue")
        #expect(try store.waitForQueueChange(timeout: 5, wakeFD: -1))
        #expect(try !store.waitForQueueChange(timeout: 0.05, wakeFD: -1))
    }
}

final class ClaimLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [BuildID] = []

    func add(_ id: BuildID) { lock.withLock { stored.append(id) } }

    var ids: [BuildID] { lock.withLock { stored } }
}
