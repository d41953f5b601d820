import Foundation
import Testing
@testable import JobControl

@Suite struct StoreJobStateTests {
    @Test func aJobNeverBuiltIsAbsent() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        try store.finishedBuild("a", .successful)
        #expect(try store.jobStates(["a", "b"]).keys.sorted() == ["a"])
    }

    @Test func aSkipBeforeAnySuccessIsNotALastCheck() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let skip = try store.finishedBuild("a", .skipped)
        let state = try #require(try store.jobStates(["a"])["a"])
        #expect(state.latest?.id == skip.id)
        #expect(state.latestSuccessful == nil)
        #expect(state.lastCheck == nil)
        #expect(state.lastCheckInputs.isEmpty)
    }

    @Test func aSkipAfterASuccessIsTheLastCheckWithItsInputs() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let dep = try store.finishedBuild("dep", .successful, retval: "v")
        let ok = try store.finishedBuild("a", .successful, retval: "1")
        let skip = try store.finishedBuild("a", .skipped, inputs: [
            BuildInput(build: 0, dependency: "dep", consumed: dep.id, retval: "v")
        ])
        let failed = try store.finishedBuild("a", .failed)
        let state = try #require(try store.jobStates(["a"])["a"])
        #expect(state.latest?.id == failed.id)
        #expect(state.latestSuccessful?.id == ok.id)
        #expect(state.latestSuccessful?.retval == "1")
        #expect(state.lastCheck?.id == skip.id)
        #expect(state.lastCheckInputs.map(\.consumed) == [dep.id])
        #expect(!state.isRunning)
    }

    @Test func aSuccessAfterASkipIsTheLastCheck() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        try store.finishedBuild("a", .successful)
        try store.finishedBuild("a", .skipped)
        let ok = try store.finishedBuild("a", .successful)
        let state = try #require(try store.jobStates(["a"])["a"])
        #expect(state.lastCheck?.id == ok.id)
        #expect(state.latest == state.lastCheck)
    }

    @Test func aCreatedOrRunningBuildMakesTheJobRunning() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        try store.finishedBuild("a", .successful)
        let queued = try store.createBuild(NewBuild(job: "a", status: .created, trigger: "queue", reason: "r", configSnapshot: "{}", configHash: "h"))
        #expect(try store.jobStates(["a"])["a"]?.isRunning == true)
        #expect(try store.jobStates(["a"])["a"]?.latest?.id == queued.id)
        try store.finishBuild(queued.id, result: BuildResult(status: .failed, failureKind: .dependencyFailed))
        #expect(try store.jobStates(["a"])["a"]?.isRunning == false)
    }
}
