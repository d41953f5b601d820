import Foundation
import Testing

@testable import JobControl

/// The life cycle and queries of builds, the same on every backend.
@Suite struct StoreConformanceLifeCycleTests {
    @Test(arguments: StoreBackend.available)
    func aBuildRoundTripsThroughItsLifeCycle(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let store = test.store
        let clock = TestClock()
        store.clock = clock.read
        let created = try store.createBuild(
            NewBuild(
                job: "crawl", status: .created, trigger: "queue", reason: "never built", attempt: 2,
                configSnapshot: #"{"command":"x"}"#, configHash: "abc"))
        #expect(created.status == .created)
        #expect(created.startedAt == nil)
        #expect(created.runner == nil)
        #expect(created.trigger == "queue")
        #expect(created.createdAt == clock.read())

        clock.advance(1)
        let runner = RunnerIdentity(host: "h1", pid: 42, processStart: 777, processGroup: 43)
        try store.markStarted(created.id, runner: runner)
        clock.advance(2)
        try store.finishBuild(
            created.id, result: BuildResult(status: .successful, exitCode: 0, retval: "/data/1"))

        let stored = try #require(try store.build(created.id))
        #expect(stored.status == .successful)
        #expect(stored.retval == "/data/1")
        #expect(stored.runner == runner)
        #expect(stored.attempt == 2)
        #expect(stored.reason == "never built")
        #expect(stored.configSnapshot == #"{"command":"x"}"#)
        #expect(stored.configHash == "abc")
        #expect(stored.duration == 2)
    }

    @Test(arguments: StoreBackend.available)
    func aBuildCreatedRunningRecordsThisProcessAsItsRunner(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let build = try store.newBuild("a")
        #expect(build.status == .running)
        #expect(build.startedAt != nil)
        #expect(build.runner?.pid == getpid())
        #expect(build.runner?.host == RunnerLiveness.hostName)
        #expect(build.runner?.processStart == RunnerLiveness.processStart(of: getpid()))
    }

    static let outcomes: [BuildResult] = [
        BuildResult(status: .failed, failureKind: .exit, exitCode: 3),
        BuildResult(status: .failed, failureKind: .signal, signal: "SIGKILL"),
        BuildResult(status: .failed, failureKind: .timeout, error: "timed out after 30s"),
        BuildResult(status: .failed, failureKind: .interrupted, signal: "SIGINT"),
        BuildResult(
            status: .failed, failureKind: .startFailed, exitCode: 127,
            error: "program 'x' not found"),
        BuildResult(
            status: .failed, failureKind: .dependencyFailed, error: "dependency 'a' failed"),
        BuildResult(status: .failed, failureKind: .runnerDied, error: "runner died"),
        BuildResult(status: .skipped, error: "unchanged"),
    ]

    @Test(arguments: StoreBackend.available)
    func everyOutcomeIsStoredAsGiven(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        for result in Self.outcomes {
            let build = try store.newBuild("j")
            try store.finishBuild(build.id, result: result)
            let stored = try #require(try store.build(build.id))
            #expect(stored.status == result.status)
            #expect(stored.failureKind == result.failureKind)
            #expect(stored.exitCode == result.exitCode)
            #expect(stored.signal == result.signal)
            #expect(stored.error == result.error)
            #expect(stored.retval == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func finishingTwiceOrAsRunningIsRefused(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let build = try store.finishedBuild("j", .successful)
        #expect(
            throws: StoreError.refused("cannot finish build #\(build.id): it is already successful")
        ) {
            try store.finishBuild(
                build.id, result: BuildResult(status: .failed, failureKind: .exit))
        }
        #expect(throws: StoreError.refused("build #\(build.id) cannot finish as 'running'")) {
            try store.finishBuild(build.id, result: BuildResult(status: .running))
        }
        #expect(throws: StoreError.noSuchBuild(999)) {
            try store.finishBuild(999, result: BuildResult(status: .successful))
        }
        #expect(
            throws: StoreError.refused("cannot start build #\(build.id): it is already successful")
        ) {
            try store.markStarted(build.id, runner: .current())
        }
    }

    @Test(arguments: StoreBackend.available)
    func buildsAreListedNewestFirstWithFilters(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let clock = TestClock()
        store.clock = clock.read
        let a1 = try store.finishedBuild("a", .successful)
        clock.advance(10)
        let b1 = try store.finishedBuild("b", .failed)
        let a2 = try store.finishedBuild("a", .failed)
        #expect(try store.builds(BuildQuery()).map(\.id) == [a2.id, b1.id, a1.id])
        #expect(try store.builds(BuildQuery(limit: 2)).map(\.id) == [a2.id, b1.id])
        #expect(
            try store.builds(BuildQuery(newestFirst: false)).map(\.id) == [a1.id, b1.id, a2.id])
        #expect(try store.builds(BuildQuery(job: "a")).map(\.id) == [a2.id, a1.id])
        #expect(try store.builds(BuildQuery(status: .failed)).map(\.id) == [a2.id, b1.id])
        #expect(try store.builds(BuildQuery(job: "a", status: .failed)).map(\.id) == [a2.id])
        #expect(try store.builds(BuildQuery(since: clock.read())).map(\.id) == [a2.id, b1.id])
        #expect(
            try store.builds(BuildQuery(job: "a", status: .failed, since: clock.read(), limit: 1))
                .map(\.id) == [a2.id])
    }

    @Test(arguments: StoreBackend.available)
    func buildIDsAreNeverReusedAfterADelete(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let first = try store.finishedBuild("a", .successful)
        try store.deleteBuild(first.id)
        let second = try store.finishedBuild("a", .successful)
        #expect(second.id > first.id)
    }

    @Test(arguments: StoreBackend.available)
    func lineageIsReadBothWays(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let setup = try store.finishedBuild("setup", .successful, retval: "/tmp/s")
        let other = try store.finishedBuild("other", .successful, retval: "o")
        let report = try store.finishedBuild(
            "report", .successful,
            inputs: [
                BuildInput(build: 0, dependency: "setup", consumed: setup.id, retval: "/tmp/s"),
                BuildInput(
                    build: 0, dependency: "other", consumed: other.id, retval: "o", pinned: true),
            ])
        #expect(
            try store.inputs(of: report.id) == [
                BuildInput(
                    build: report.id, dependency: "other", consumed: other.id, retval: "o",
                    pinned: true),
                BuildInput(
                    build: report.id, dependency: "setup", consumed: setup.id, retval: "/tmp/s"),
            ])
        #expect(
            try store.consumers(of: setup.id) == [
                BuildInput(
                    build: report.id, dependency: "setup", consumed: setup.id, retval: "/tmp/s")
            ])
        #expect(try store.consumers(of: report.id).isEmpty)
    }

    @Test(arguments: StoreBackend.available)
    func progressIsUpsertedOneRowPerNodeInFirstSeenOrder(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let build = try store.newBuild("j")
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        try store.saveProgress([
            ProgressRecord(
                build: build.id, group: [], current: 1, total: 10, status: nil, updatedAt: t),
            ProgressRecord(
                build: build.id, group: ["Download", "a \"b\" :: c"], current: 1, total: nil,
                status: "x", updatedAt: t),
        ])
        try store.saveProgress([
            ProgressRecord(
                build: build.id, group: [], current: 5, total: 10, status: "half", updatedAt: t + 1)
        ])
        #expect(
            try store.progress(of: build.id) == [
                ProgressRecord(
                    build: build.id, group: [], current: 5, total: 10, status: "half",
                    updatedAt: t + 1),
                ProgressRecord(
                    build: build.id, group: ["Download", "a \"b\" :: c"], current: 1, total: nil,
                    status: "x", updatedAt: t),
            ])
    }

    @Test(arguments: StoreBackend.available)
    func aReadOnlyStoreReadsAndNeverReaps(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let build = try test.store.finishedBuild("a", .successful, retval: "v")
        let reader = try test.reopen(.readOnly)
        #expect(try reader.build(build.id)?.retval == "v")
        #expect(try reader.reapDeadRunners() == [])
        #expect(throws: StoreError.self) { try reader.finishedBuild("a", .successful) }
    }
}
