import Foundation
import Testing
@testable import JobControl

@Suite struct StorePruneTests {
    private let future = Date(timeIntervalSince1970: 4_000_000_000)

    private func remaining(_ store: SQLiteStore) throws -> [BuildID] {
        try store.builds(BuildQuery(newestFirst: false)).map(\.id)
    }

    @Test func theLatestTheLatestSuccessfulAndTheLastCheckSurvive() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let s1 = try store.finishedBuild("a", .successful)
        let f2 = try store.finishedBuild("a", .failed)
        let s3 = try store.finishedBuild("a", .successful)
        let k4 = try store.finishedBuild("a", .skipped)
        let f5 = try store.finishedBuild("a", .failed)
        try store.appendLogs([store.logLine(s1.id, 1, "x"), store.logLine(s1.id, 2, "y"), store.logLine(f2.id, 1, "z")])
        let result = try store.prune(PruneRequest(olderThan: future))
        #expect(result == PruneResult(buildsDeleted: 2, logLinesDeleted: 3))
        #expect(try remaining(store) == [s3.id, k4.id, f5.id])
        #expect(try store.logs(LogQuery(build: s1.id)).isEmpty)
    }

    @Test func createdAndRunningBuildsSurvive() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let queued = try store.createBuild(NewBuild(job: "a", status: .created, trigger: "queue", reason: "r", configSnapshot: "{}", configHash: "h"))
        let running = try store.createBuild(NewBuild(job: "a", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        try store.finishedBuild("a", .failed)
        try store.finishedBuild("a", .failed)
        _ = try store.prune(PruneRequest(olderThan: future))
        #expect(try remaining(store).prefix(2) == [queued.id, running.id])
    }

    @Test func buildsConsumedByKeptBuildsSurviveThroughAChain() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let x1 = try store.finishedBuild("x", .successful)
        let x2 = try store.finishedBuild("x", .successful)
        let y1 = try store.finishedBuild("y", .successful, inputs: [BuildInput(build: 0, dependency: "x", consumed: x1.id, retval: nil)])
        let y2 = try store.finishedBuild("y", .successful, inputs: [BuildInput(build: 0, dependency: "x", consumed: x2.id, retval: nil)])
        let z1 = try store.finishedBuild("z", .successful, inputs: [BuildInput(build: 0, dependency: "y", consumed: y1.id, retval: nil)])
        let orphan = try store.finishedBuild("x", .failed)
        _ = orphan
        let lone = try store.finishedBuild("w", .failed)
        try store.finishedBuild("w", .failed)
        let result = try store.prune(PruneRequest(olderThan: future))
        #expect(result.buildsDeleted == 1)
        #expect(try store.build(lone.id) == nil)
        for kept in [x1, x2, y1, y2, z1] { #expect(try store.build(kept.id) != nil) }
    }

    @Test func keepLeavesTheNewestBuildsOfEachJob() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let ids = try (0..<5).map { _ in try store.finishedBuild("a", .failed).id }
        let other = try (0..<2).map { _ in try store.finishedBuild("b", .failed).id }
        let result = try store.prune(PruneRequest(olderThan: future, keep: 3))
        #expect(result.buildsDeleted == 2)
        #expect(try remaining(store) == Array(ids.suffix(3)) + other)
    }

    @Test func onlyBuildsOlderThanTheCutoffOfTheNamedJobGo() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let clock = TestClock()
        store.clock = clock.read
        let oldA = try store.finishedBuild("a", .failed)
        let oldB = try store.finishedBuild("b", .failed)
        clock.advance(100)
        let cutoff = clock.read()
        let newA = try store.finishedBuild("a", .failed)
        try store.finishedBuild("a", .failed)
        try store.finishedBuild("b", .failed)
        _ = try store.prune(PruneRequest(olderThan: cutoff, job: "a"))
        #expect(try store.build(oldA.id) == nil)
        #expect(try store.build(oldB.id) != nil)
        #expect(try store.build(newA.id) != nil)
    }

    @Test func logsOnlyDeletesLinesAtTheLevelAndBelowAndKeepsTheBuilds() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let old = try store.finishedBuild("a", .failed)
        let latest = try store.finishedBuild("a", .failed)
        for build in [old.id, latest.id] {
            try store.appendLogs([
                store.logLine(build, 1, "d", level: .debug), store.logLine(build, 2, "i", level: .info),
                store.logLine(build, 3, "w", level: .warning), store.logLine(build, 4, "e", level: .error),
            ])
        }
        let result = try store.prune(PruneRequest(olderThan: future, logsOnly: true, level: .info, vacuum: true))
        #expect(result == PruneResult(buildsDeleted: 0, logLinesDeleted: 2))
        #expect(try store.logs(LogQuery(build: old.id)).map(\.text) == ["w", "e"])
        #expect(try store.logs(LogQuery(build: latest.id)).count == 4)
        #expect(try remaining(store) == [old.id, latest.id])
    }

    @Test func deleteRefusesCreatedAndRunningBuilds() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let queued = try store.createBuild(NewBuild(job: "a", status: .created, trigger: "queue", reason: "r", configSnapshot: "{}", configHash: "h"))
        let running = try store.createBuild(NewBuild(job: "a", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        #expect(throws: StoreError.refused("build #\(queued.id) is created and cannot be deleted")) { try store.deleteBuild(queued.id) }
        #expect(throws: StoreError.refused("build #\(running.id) is running and cannot be deleted")) { try store.deleteBuild(running.id) }
        #expect(throws: StoreError.noSuchBuild(999)) { try store.deleteBuild(999) }
    }

    @Test func deleteCascadesToLogProgressAndInputsButKeepsConsumersLineage() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let dep = try store.finishedBuild("dep", .successful)
        let build = try store.finishedBuild("a", .successful, inputs: [BuildInput(build: 0, dependency: "dep", consumed: dep.id, retval: nil)])
        let user = try store.finishedBuild("b", .successful, inputs: [BuildInput(build: 0, dependency: "a", consumed: build.id, retval: nil)])
        try store.appendLogs([store.logLine(build.id, 1, "x")])
        try store.saveProgress([ProgressRecord(build: build.id, group: [], current: 1, total: 1, status: nil, updatedAt: Date())])
        try store.deleteBuild(build.id)
        #expect(try store.build(build.id) == nil)
        #expect(try store.logs(LogQuery(build: build.id)).isEmpty)
        #expect(try store.progress(of: build.id).isEmpty)
        #expect(try store.inputs(of: build.id).isEmpty)
        #expect(try store.consumers(of: dep.id).isEmpty)
        #expect(try store.inputs(of: user.id).map(\.consumed) == [build.id])
    }
}
