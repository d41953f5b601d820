import CSQLite
import Foundation
import Testing

@testable import JobControl

/// With one worker, the next build's process starts before its row is
/// written, under a build id the SQLite store reserved (issue #5): the id
/// must be one no other row or process takes, the ids must stay in the
/// order builds were made, and an id reserved and not used is given back.
@Suite struct BuildIDReservationTests {
    private func newBuild(_ job: JobID, inputs: [BuildInput] = []) -> NewBuild {
        NewBuild(job: job, trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h", inputs: inputs)
    }

    private func sequence(_ store: SQLiteStore) throws -> Int64? {
        try store.connection.integer(SQLiteSQL.buildSequence)
    }

    @Test func turningReservationsOnWritesNothingAndTheFirstRowReserves() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let before = store.transactionCount
        try store.reservingBuildIDs(true)
        #expect(store.transactionCount == before)
        #expect(store.reservedBuildID == nil)
        let first = try store.createBuild(newBuild("a"))
        #expect(first.id == 1)
        #expect(store.reservedBuildID?.id == 2)
        #expect(try sequence(store) == 2)
        // Off: the write that ends a build gives the id back in its transaction.
        try store.reservingBuildIDs(false)
        let ending = store.transactionCount
        try store.finishBuild(first.id, result: BuildResult(status: .successful))
        #expect(store.transactionCount - ending == 1)
        #expect(store.reservedBuildID == nil)
        #expect(try sequence(store) == 1)
        #expect(try store.createBuild(newBuild("b")).id == 2)
    }

    /// An id still held when the store closes is given back then.
    @Test func anIDHeldAtCloseIsGivenBack() throws {
        let folder = StoreFolder()
        do {
            let store = try folder.openStore()
            try store.reservingBuildIDs(true)
            _ = try store.createBuild(newBuild("a"))
            #expect(store.reservedBuildID?.id == 2)
            store.close()
        }
        let store = try folder.openStore()
        #expect(try sequence(store) == 1)
        #expect(try store.createBuild(newBuild("b")).id == 2)
    }

    /// Each new row takes the reserved id and reserves the next; the ids
    /// are those a store without reservations gives.
    @Test func newRowsTakeTheReservedIDAndReserveTheNext() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        try store.reservingBuildIDs(true)
        #expect(try store.createBuild(newBuild("a")).id == 1)
        #expect(store.reservedBuildID?.id == 2)
        let second = try store.createBuild(newBuild("b"))
        #expect(second.id == 2)
        #expect(store.reservedBuildID?.id == 3)
        let third = try store.finishBuild(
            second.id, result: BuildResult(status: .successful), thenCreate: newBuild("c"))
        #expect(third.id == 3)
        #expect(store.reservedBuildID?.id == 4)
        try store.reservingBuildIDs(false)
        #expect(try store.createBuild(newBuild("d")).id == 4)  // the id held, not kept after
        #expect(store.reservedBuildID == nil)
        #expect(try store.createBuild(newBuild("e")).id == 5)
    }

    /// The write after the start: the previous build ends, the new row is
    /// running under the reserved id with its process group, in one
    /// transaction that reserves the next id; the record is the row.
    @Test func aStartedBuildIsStoredWithTheReservedIDAndItsGroup() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let reader = try folder.openStore(.readOnly)
        try store.reservingBuildIDs(true)
        let first = try store.createBuild(newBuild("a"))
        let reserved = try #require(store.reservedBuildID)
        let runner = RunnerIdentity.current(processGroup: 4242)
        let startedAt = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let input = BuildInput(build: 0, dependency: "a", consumed: first.id, retval: "v", pinned: false)
        let before = store.transactionCount
        let made = try store.finishBuild(
            first.id, result: BuildResult(status: .successful, exitCode: 0, retval: "v"),
            thenStoreStarted: newBuild("b", inputs: [input]), as: reserved, runner: runner,
            startedAt: startedAt)
        #expect(store.transactionCount - before == 1)
        #expect(made.id == reserved.id)
        #expect(try reader.build(made.id) == made)
        #expect(made.status == .running)
        #expect(made.runner?.processGroup == 4242)
        #expect(made.startedAt == startedAt)
        #expect(try reader.build(first.id)?.status == .successful)
        #expect(try reader.inputs(of: made.id).map(\.consumed) == [first.id])
        #expect(store.reservedBuildID?.id == reserved.id + 1)
        #expect(try reader.jobStates(["b"])["b"]?.isRunning == true)
    }

    /// Another process's build takes the id after the reserved one; a row
    /// made after that does not take the older reserved id (a build of the
    /// same job would then look older than the other's), and the
    /// reservation's counter tells the scheduler that another process wrote.
    @Test func anotherProcessesBuildMakesTheReservationStale() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let other = try folder.openStore()
        try store.reservingBuildIDs(true)
        let first = try store.createBuild(newBuild("x"))
        let reserved = try #require(store.reservedBuildID)
        #expect(reserved.id == 2)
        #expect(try other.createBuild(newBuild("a")).id == 3)
        #expect(try store.othersChangeCounter() != reserved.counter)
        let mine = try store.createBuild(newBuild("a"))
        #expect(mine.id == 4)
        #expect(try store.jobStates(["a"])["a"]?.latest?.id == 4)
        #expect(store.reservedBuildID?.id == 5)
        #expect(try store.othersChangeCounter() == store.reservedBuildID?.counter)
        // Given back only while nothing above it was handed out.
        #expect(try other.createBuild(newBuild("b")).id == 6)
        try store.reservingBuildIDs(false)
        try store.finishBuild(first.id, result: BuildResult(status: .successful))
        #expect(try sequence(store) == 6)
    }

    /// Two stores reserving at once never hold the same id.
    @Test func twoReservationsNeverShareAnID() throws {
        let folder = StoreFolder()
        let one = try folder.openStore()
        let two = try folder.openStore()
        try one.reservingBuildIDs(true)
        try two.reservingBuildIDs(true)
        #expect(try one.createBuild(newBuild("a")).id == 1)
        #expect(try two.createBuild(newBuild("b")).id == 3)  // after one's reserved 2
        let first = try #require(one.reservedBuildID)
        let second = try #require(two.reservedBuildID)
        #expect(first.id == 2)
        #expect(second.id == 4)
        let made = try one.createBuild(newBuild("a"))
        #expect(made.id == 5)  // its 2 is no longer the newest id
        let b = try two.createBuild(newBuild("b"))
        #expect(b.id == 7)  // nor is its 4
    }

    /// A jcrun that died holding a reservation leaves a gap in the ids and
    /// no row: the next build takes the id after it.
    @Test func aReservationLeftByADeadRunnerIsOnlyAGap() throws {
        let folder = StoreFolder()
        do {
            let store = try folder.openStore()
            try store.reservingBuildIDs(true)
            #expect(try store.createBuild(newBuild("a")).id == 1)
            #expect(store.reservedBuildID?.id == 2)
            store.reservation = nil  // as if the process died: never given back
            store.close()
        }
        let store = try folder.openStore()
        #expect(try store.builds(BuildQuery()).map(\.id) == [1])
        #expect(try store.createBuild(newBuild("b")).id == 3)
    }

    /// A write with an id the store does not hold stores nothing.
    @Test func aWriteWithAnIDNotReservedStoresNothing() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let first = try store.createBuild(newBuild("a"))
        let wrong = BuildReservation(id: 7, counter: 0)
        #expect(throws: StoreError.self) {
            try store.finishBuild(
                first.id, result: BuildResult(status: .successful), thenStoreStarted: newBuild("b"),
                as: wrong, runner: .current(), startedAt: Date())
        }
        #expect(try store.build(first.id)?.status == .running)
        #expect(try store.build(7) == nil)
    }

    /// PostgreSQL reserves nothing: the scheduler then writes before each start.
    @Test(arguments: StoreBackend.available)
    func aStoreThatCannotReserveHoldsNoID(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        try test.store.reservingBuildIDs(true)
        let made = try test.store.createBuild(newBuild("a"))
        #expect((test.store.reservedBuildID?.id == made.id + 1) == (backend == .sqlite))
        try test.store.reservingBuildIDs(false)
        try test.store.finishBuild(made.id, result: BuildResult(status: .successful))
        #expect(test.store.reservedBuildID == nil)
    }
}

/// The scheduler's side: with one worker the next process starts first;
/// when the write that follows cannot be made, nothing runs that the store
/// does not know of.
@Suite struct DeferredStartSchedulerTests {
    private func run(
        _ jobs: JobSet, folder: StoreFolder, store: SQLiteStore, launcher: ScriptedLauncher
    ) throws -> RunSummary {
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: Date())
        let options = Scheduler.Options(
            workers: 1, lockDirectory: URL(fileURLWithPath: folder.path + "/locks"),
            environment: ["PATH": "/usr/bin"])
        return Scheduler(jobs: jobs, store: store, launcher: launcher, options: options).run(plan)
    }

    @Test func aSerialRunStartsEachNextProcessUnderTheReservedIDWithItsGroup() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let jobs = testJobSet([testJob("a"), testJob("b", deps: ["a"]), testJob("c")])
        let launcher = ScriptedLauncher(["a": [.value("va")]])
        let summary = try run(jobs, folder: folder, store: store, launcher: launcher)
        #expect(summary.exitCode == 0)
        let builds = try store.builds(BuildQuery(newestFirst: false))
        #expect(builds.map(\.id) == [1, 2, 3])
        #expect(builds.map(\.status) == [.successful, .successful, .successful])
        // The first is created before its start; the others are stored with the group.
        #expect(builds.map { $0.runner?.processGroup } == [nil, 4242, 4242])
        #expect(launcher.specs.map { $0.environment["JCRUN_BUILD_ID"] ?? "" } == ["1", "2", "3"])
        let b = try #require(builds.first { $0.job == "b" })
        #expect(try store.inputs(of: b.id).map(\.retval) == ["va"])
        #expect(try store.connection.integer(SQLiteSQL.buildSequence) == 3)
        #expect(store.reservedBuildID == nil)
    }

    /// Another process commits while a build runs: the next one is not
    /// started before its write (the reserved id is older than the other's
    /// build), it takes a fresh id in the write before its start, and the
    /// one after it starts first again under the id reserved with it.
    @Test func anotherProcessesCommitMakesTheNextBuildWriteFirst() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        nonisolated(unsafe) let other = try folder.openStore()
        let jobs = testJobSet([testJob("a"), testJob("b"), testJob("c")])
        let gate = Gate()
        let launcher = ScriptedLauncher(["a": [Script(gate: gate)]])
        let writer = Thread {
            _ = gate.waitForArrivals(1)
            if let made = try? other.createBuild(
                NewBuild(job: "z", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
            {
                try? other.finishBuild(made.id, result: BuildResult(status: .successful))
            }
            gate.open()
        }
        writer.start()
        let summary = try run(jobs, folder: folder, store: store, launcher: launcher)
        #expect(summary.exitCode == 0)
        let builds = try store.builds(BuildQuery(newestFirst: false))
        #expect(builds.map { "\($0.id) \($0.job) \($0.status.rawValue)" } == [
            "1 a successful", "3 z successful", "4 b successful", "5 c successful",
        ])
        // b's row was written before its start (no group yet); c's after, with it.
        #expect(builds.map { $0.runner?.processGroup } == [nil, nil, nil, 4242])
        #expect(launcher.specs.map { $0.environment["JCRUN_BUILD_ID"] ?? "" } == ["1", "4", "5"])
    }

    /// Another process holds the store's write lock past the wait as the
    /// next process starts: that process is killed, its build counts as not
    /// run (no row), the run stops with the store's error.
    @Test func aWriteThatFailsAfterTheStartKillsTheProcess() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        store.connection.busyDeadline = 0.3
        sqlite3_busy_timeout(store.connection.handle, 20)
        nonisolated(unsafe) let other = try folder.openStore()
        let jobs = testJobSet([testJob("a"), testJob("b"), testJob("c")])
        let gate = Gate()
        let launcher = ScriptedLauncher([
            "a": [Script(gate: gate)],
            "b": [Script(waitForInterrupt: true, onlyKillStops: true)],
        ])
        let holder = Thread {
            _ = gate.waitForArrivals(1)
            try? other.connection.execute("BEGIN IMMEDIATE")
            gate.open()
        }
        holder.start()
        let summary = try run(jobs, folder: folder, store: store, launcher: launcher)
        try other.connection.execute("ROLLBACK")
        #expect(launcher.jobsRun == ["a", "b"])
        #expect(summary.exitCode == 2)
        #expect(summary.errors.contains { $0.hasPrefix("cannot store build #2 of 'b': ") })
        let ended = try #require(summary.builds.first { $0.job == "b" })
        #expect(ended.failureKind == .storeFailed)
        #expect(try store.build(2) == nil)
        #expect(try store.builds(BuildQuery()).map(\.job) == ["a"])
    }
}
