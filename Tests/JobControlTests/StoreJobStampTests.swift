import Foundation
import Testing

@testable import JobControl

/// The hand-over write that creates the next build only while the job and
/// its dependencies stand as their stamps say (`finishBuild(_:result:
/// thenCreate:ifStatesAre:)`): PostgreSQL's way, without a counter of other
/// processes' commits, to learn in the same round trip that another process
/// built what a local run planned. On both backends.
@Suite struct StoreJobStampTests {
    /// What another connection does before the write.
    enum Meanwhile: String, CaseIterable, Sendable {
        case nothing
        case buildsTheNextJob
        case buildsItsDependency
        case skipsItsDependency
        case runsTheNextJob
        case queuesTheNextJob
        case failsTheNextJob
    }

    /// `b` depends on `a`, built once before; the ending build is `a`'s,
    /// so the check must count it as ended although its row changes in the
    /// same write.
    @Test(arguments: StoreBackend.available, Meanwhile.allCases)
    func theNextBuildIsCreatedOnlyWhileNoOneElseChangedItsJobs(
        backend: StoreBackend, meanwhile: Meanwhile
    ) throws {
        let made = try TestStore.make(backend)
        let own = made.store
        let other = try made.reopen(.write)
        let earlier = try own.finishedBuild("a", .successful, retval: "1")
        let states = try own.jobStates(["a", "b"])
        let ending = try own.newBuild("a")
        var stampA = JobStamp(job: "a", state: states["a"])
        stampA.apply(ending.id, .successful)
        let expected = [JobStamp(job: "b", state: states["b"]), stampA]
        #expect(stampA.latest == ending.id && stampA.latestSuccessful == ending.id)
        #expect(expected[0] == JobStamp(job: "b"))

        switch meanwhile {
        case .nothing: break
        case .buildsTheNextJob: _ = try other.finishedBuild("b", .successful)
        case .buildsItsDependency: _ = try other.finishedBuild("a", .successful)
        case .skipsItsDependency: _ = try other.finishedBuild("a", .skipped)
        case .runsTheNextJob: _ = try other.newBuild("b")
        case .queuesTheNextJob: _ = try other.newBuild("b", status: .created)
        case .failsTheNextJob: _ = try other.finishedBuild("b", .failed)
        }
        let next = NewBuild(
            job: "b", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h",
            inputs: [BuildInput(build: 0, dependency: "a", consumed: ending.id, retval: "2")])
        let ok = BuildResult(status: .successful, exitCode: 0, retval: "2")
        let created = try own.finishBuild(ending.id, result: ok, thenCreate: next, ifStatesAre: expected)

        #expect(try own.build(ending.id)?.status == .successful)
        #expect(try own.build(ending.id)?.retval == "2")
        guard meanwhile == .nothing else {
            #expect(created == nil)
            return
        }
        let record = try #require(created)
        #expect(record.job == "b" && record.status == .running && record.reason == "r")
        #expect(record.runner?.pid == getpid())
        #expect(try own.inputs(of: record.id).map(\.consumed) == [ending.id])
        #expect(try own.inputs(of: record.id).map(\.retval) == ["2"])
        #expect(earlier.id < ending.id)
    }

    /// A skipped or failed end counts as what it is: a skip moves the last
    /// check (when there is a success before it), a failure only the latest.
    @Test(arguments: StoreBackend.available, [BuildStatus.skipped, .failed])
    func anEndThatIsNoSuccessCountsAsItself(backend: StoreBackend, status: BuildStatus) throws {
        let made = try TestStore.make(backend)
        let own = made.store
        _ = try own.finishedBuild("a", .successful)
        let states = try own.jobStates(["a"])
        let ending = try own.newBuild("a")
        var stamp = JobStamp(job: "a", state: states["a"])
        stamp.apply(ending.id, status)
        #expect(stamp.latestSuccessful == states["a"]?.latestSuccessful?.id)
        #expect(stamp.lastCheck == (status == .skipped ? ending.id : states["a"]?.latestSuccessful?.id))
        let result =
            status == .failed
            ? BuildResult(status: .failed, failureKind: .exit, exitCode: 1)
            : BuildResult(status: .skipped, exitCode: 0, error: "nothing to do")
        let next = NewBuild(job: "b", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h")
        let created = try own.finishBuild(ending.id, result: result, thenCreate: next, ifStatesAre: [stamp])
        #expect(created?.job == "b")
        #expect(try own.build(ending.id)?.status == status)

        // The same stamp once the store moved on: no second row.
        let again = try own.newBuild("a")
        let second = try own.finishBuild(again.id, result: result, thenCreate: next, ifStatesAre: [stamp])
        #expect(second == nil)
        #expect(try own.builds(BuildQuery(job: "b")).count == 1)
    }

    /// Ending a build that already ended is refused, and nothing is created.
    @Test(arguments: StoreBackend.available)
    func aRefusedEndCreatesNothing(backend: StoreBackend) throws {
        let made = try TestStore.make(backend)
        let own = made.store
        let done = try own.finishedBuild("a", .successful)
        let next = NewBuild(job: "b", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h")
        let ok = BuildResult(status: .successful, exitCode: 0)
        #expect(throws: StoreError.refused("cannot finish build #\(done.id): it is already successful")) {
            _ = try own.finishBuild(done.id, result: ok, thenCreate: next, ifStatesAre: [JobStamp(job: "b")])
        }
        #expect(try own.builds(BuildQuery(job: "b")).isEmpty)
    }
}
