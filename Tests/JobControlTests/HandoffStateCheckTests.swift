import Foundation
import Testing

@testable import JobControl

/// A local run on either store judges a job again only when another
/// process changed what its plan rests on: SQLite through its counter of
/// other processes' commits, PostgreSQL through the job stamps its
/// hand-over write compares (`BuildStore.checksStatesInWrite`). A run that
/// is alone reads no job's state again after its first turn.
@Suite struct HandoffStateCheckTests {
    private func lockFolder() -> URL {
        let url = URL(fileURLWithPath: "/tmp/jcrun-handoff-check-\(getpid())-\(UUID().uuidString)/locks")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Plans all of `jobs` from `store` as the CLI does (counter, then
    /// states) and runs the plan serially; `meanwhile` runs between the
    /// plan and the run.
    private func planAndRun(
        _ jobs: JobSet, store: BuildStore, launcher: ScriptedLauncher, meanwhile: () throws -> Void = {}
    ) throws -> RunSummary {
        let counter = try store.othersChangeCounter()
        let states = try store.jobStates(jobs.jobs.map(\.id))
        let plan = try Planner().plan(
            PlanRequest(targets: .all, mode: .buildOutdated), jobs: jobs, states: states, now: Date())
        try meanwhile()
        let options = Scheduler.Options(
            workers: 1, lockDirectory: lockFolder(), environment: ["PATH": "/usr/bin"])
        return Scheduler(jobs: jobs, store: store, launcher: launcher, options: options)
            .run(plan, states: states, storeCounter: counter)
    }

    /// A successful build of `job` by another connection, as another jcrun stores it.
    private func builtElsewhere(
        _ job: Job, in store: BuildStore, inputs: [BuildInput] = []
    ) throws -> BuildID {
        let made = try store.createBuild(
            NewBuild(
                job: job.id, trigger: "cli", reason: "never built", configSnapshot: job.buildSnapshotJSON(),
                configHash: job.definitionHash, inputs: inputs))
        try store.finishBuild(made.id, result: BuildResult(status: .successful, exitCode: 0))
        return made.id
    }

    @Test(arguments: StoreBackend.available)
    func aRunAloneHandsOverWithoutReadingStatesAgain(backend: StoreBackend) throws {
        let made = try TestStore.make(backend)
        let store = made.store
        let jobs = testJobSet([
            testJob("a"), testJob("b"), testJob("c", deps: ["b"]), testJob("d", deps: ["c"]), testJob("e"),
        ])
        let launcher = ScriptedLauncher(["b": [.value("vb")], "c": [.value("vc")]])
        let before = store.transactionCount
        let summary = try planAndRun(jobs, store: store, launcher: launcher)
        #expect(summary.exitCode == 0)
        #expect(summary.errors.isEmpty)
        #expect(launcher.jobsRun == ["a", "b", "c", "d", "e"])
        // SQLite: the first create, four hand-overs, the last end (reads are
        // no write transactions there). PostgreSQL: the plan's read, the first
        // turn's look at the store and the first create; each hand-over and
        // the last end are one statement without a transaction (each job's
        // state read again and its row created apart: 11).
        #expect(store.transactionCount - before == (backend == .sqlite ? 6 : 3))
        let builds = try store.builds(BuildQuery(newestFirst: false))
        #expect(builds.map(\.status) == Array(repeating: .successful, count: 5))
        let byJob = Dictionary(uniqueKeysWithValues: builds.map { ($0.job, $0) })
        #expect(try store.inputs(of: byJob["c"]!.id).map(\.consumed) == [byJob["b"]!.id])
        #expect(try store.inputs(of: byJob["d"]!.id).map(\.retval) == ["vc"])
        #expect(launcher.specs.last { $0.environment["JCRUN_RETVAL_C"] != nil }?.environment["JCRUN_RETVAL_C"] == "vc")
    }

    /// Another process builds `x` and `y` after the plan: the hand-over
    /// after `a` finds `x` changed, so `x` is judged again (built
    /// meanwhile), and so is `y`.
    @Test(arguments: StoreBackend.available)
    func aJobBuiltElsewhereAfterThePlanIsNotBuiltAgain(backend: StoreBackend) throws {
        let made = try TestStore.make(backend)
        let store = made.store
        let other = try made.reopen(.write)
        let x = testJob("x")
        let y = testJob("y", deps: ["x"])
        let jobs = testJobSet([testJob("a"), x, y])
        let launcher = ScriptedLauncher()
        var otherX: BuildID = 0, otherY: BuildID = 0
        let summary = try planAndRun(jobs, store: store, launcher: launcher) {
            otherX = try builtElsewhere(x, in: other)
            otherY = try builtElsewhere(
                y, in: other, inputs: [BuildInput(build: 0, dependency: "x", consumed: otherX, retval: nil)])
        }
        #expect(summary.exitCode == 0)
        #expect(launcher.jobsRun == ["a"])
        #expect(summary.leftOut == [
            LeftOut(job: "x", why: .builtMeanwhile(otherX)), LeftOut(job: "y", why: .builtMeanwhile(otherY)),
        ])
        #expect(try store.builds(BuildQuery(newestFirst: false)).map(\.job) == ["x", "y", "a"])
    }

    /// Another process builds only the dependency: the dependent, handed
    /// over after it, is judged again and built on the newer build.
    @Test(arguments: StoreBackend.available)
    func aDependencyBuiltElsewhereIsWhatTheDependentConsumes(backend: StoreBackend) throws {
        let made = try TestStore.make(backend)
        let store = made.store
        let other = try made.reopen(.write)
        let x = testJob("x")
        let y = testJob("y", deps: ["x"])
        let jobs = testJobSet([testJob("a"), testJob("w"), x, y])
        _ = try builtElsewhere(x, in: store)
        let launcher = ScriptedLauncher()
        var otherX: BuildID = 0
        // Only `a`, `w` and `y` are outdated: `y` was never built.
        let summary = try planAndRun(jobs, store: store, launcher: launcher) {
            otherX = try builtElsewhere(x, in: other)
        }
        #expect(summary.exitCode == 0)
        #expect(launcher.jobsRun == ["a", "w", "y"])
        let built = try #require(summary.builds.first { $0.job == "y" })
        #expect(try store.inputs(of: built.id).map(\.consumed) == [otherX])
    }

    /// Another process queued a build of `x` (created, not run) after the
    /// plan: the hand-over finds `x` changed, the turn reads it again, and
    /// since only finished builds decide, `x` is still built here.
    @Test(arguments: StoreBackend.available)
    func aBuildQueuedElsewhereMeanwhileLeavesTheJobOutdated(backend: StoreBackend) throws {
        let made = try TestStore.make(backend)
        let store = made.store
        let other = try made.reopen(.write)
        let x = testJob("x")
        let jobs = testJobSet([testJob("a"), x])
        let launcher = ScriptedLauncher()
        var queued: BuildID = 0
        let summary = try planAndRun(jobs, store: store, launcher: launcher) {
            queued = try other.newBuild("x", status: .created).id
        }
        #expect(summary.exitCode == 0)
        #expect(launcher.jobsRun == ["a", "x"])
        let built = try #require(summary.builds.first { $0.job == "x" })
        #expect(built.id > queued)
        #expect(built.reason == "never built")
    }
}
