import Foundation
import Testing

@testable import JobControl

/// A worker ends a build and creates its next one in one SQLite write
/// transaction (issues #4 and #5), without giving up what each write
/// guaranteed alone: the ended build's status, the job locks, the summary.
@Suite struct BuildHandoffTests {
    private func newBuild(_ job: JobID, inputs: [BuildInput] = []) -> NewBuild {
        NewBuild(job: job, trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h", inputs: inputs)
    }

    /// `job_summary` as stored, and as recounted from the builds.
    private func summary(_ store: SQLiteStore) throws -> (stored: [String], expected: [String]) {
        func rows(_ sql: String) throws -> [String] {
            try store.connection.using(sql) { statement in
                var rows: [String] = []
                while try statement.step() {
                    let ids = (1...4).map { statement.optionalInt64($0).map(String.init) ?? "-" }
                    rows.append(([statement.string(0)] + ids).joined(separator: " "))
                }
                return rows
            }
        }
        return (try rows(SQLiteSQL.storedSummary), try rows(SQLiteSQL.recomputedSummary))
    }

    @Test func endingOneBuildAndCreatingTheNextIsOneWriteTransaction() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let reader = try folder.openStore(.readOnly)
        let first = try store.createBuild(newBuild("a"))
        let before = store.transactionCount
        let input = BuildInput(build: 0, dependency: "a", consumed: first.id, retval: "v", pinned: false)
        let next = try store.finishBuild(
            first.id, result: BuildResult(status: .successful, exitCode: 0, retval: "v"),
            thenCreate: newBuild("b", inputs: [input]))
        #expect(store.transactionCount - before == 1)
        let ended = try #require(try reader.build(first.id))
        #expect(ended.status == .successful)
        #expect(ended.retval == "v")
        #expect(ended.finishedAt != nil)
        let seen = try #require(try reader.build(next.id))
        #expect(seen.status == .running)
        #expect(seen.job == "b")
        #expect(seen.runner == RunnerLiveness.currentRunnerIdentity())
        #expect(try reader.inputs(of: next.id).map(\.consumed) == [first.id])
        let states = try reader.jobStates(["a", "b"])
        #expect(states["a"]?.latestSuccessful?.id == first.id)
        #expect(states["a"]?.isRunning == false)
        #expect(states["b"]?.isRunning == true)
        let (stored, expected) = try summary(store)
        #expect(stored == expected)
    }

    @Test(arguments: [BuildStatus.running, .created, .successful])
    func theRecordReturnedIsTheRowAsStored(status: BuildStatus) throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let first = try store.createBuild(newBuild("a"))
        var new = newBuild("b\u{e9}", inputs: [
            BuildInput(build: 0, dependency: "a", consumed: first.id, retval: nil, pinned: true)
        ])
        new.status = status
        new.attempt = 3
        new.configSnapshot = "{\"id\":\"b\\u00e9\"}"
        let made = try store.finishBuild(first.id, result: BuildResult(status: .successful), thenCreate: new)
        #expect(try store.build(made.id) == made)
        let alone = try store.createBuild(new)
        #expect(try store.build(alone.id) == alone)
        #expect(alone.id == made.id + 1)
    }

    /// The combined call means the same on every backend (PostgreSQL uses
    /// the protocol's default: the two calls one after the other).
    @Test(arguments: StoreBackend.available)
    func endingOneBuildAndCreatingTheNextMeansTheSameEverywhere(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let store = test.store
        let first = try store.createBuild(newBuild("a"))
        let input = BuildInput(build: 0, dependency: "a", consumed: first.id, retval: "v", pinned: false)
        let next = try store.finishBuild(
            first.id, result: BuildResult(status: .successful, exitCode: 0, retval: "v"),
            thenCreate: newBuild("b", inputs: [input]))
        #expect(try store.build(first.id)?.status == .successful)
        #expect(try store.build(first.id)?.retval == "v")
        #expect(try store.build(next.id) == next)
        #expect(next.status == .running)
        #expect(next.runner?.pid == getpid())
        #expect(try store.inputs(of: next.id).map(\.consumed) == [first.id])
        let states = try store.jobStates(["a", "b"])
        #expect(states["a"]?.latestSuccessful?.id == first.id)
        #expect(states["b"]?.isRunning == true)
        #expect(throws: StoreError.refused("cannot finish build #\(first.id): it is already successful")) {
            _ = try store.finishBuild(first.id, result: BuildResult(status: .failed), thenCreate: newBuild("c"))
        }
        #expect(try store.jobStates(["c"]).isEmpty)
    }

    @Test func aRefusedEndCreatesNothing() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let first = try store.createBuild(newBuild("a"))
        try store.finishBuild(first.id, result: BuildResult(status: .failed, failureKind: .exit, exitCode: 1))
        #expect(throws: StoreError.refused("cannot finish build #\(first.id): it is already failed")) {
            _ = try store.finishBuild(
                first.id, result: BuildResult(status: .successful), thenCreate: newBuild("b"))
        }
        #expect(try store.builds(BuildQuery(newestFirst: false)).map(\.job) == ["a"])
        #expect(try store.jobStates(["b"]).isEmpty)
        #expect(throws: StoreError.refused("build #\(first.id) cannot finish as 'running'")) {
            _ = try store.finishBuild(
                first.id, result: BuildResult(status: .running), thenCreate: newBuild("b"))
        }
    }

    /// Runs `jobs` serially on a SQLite store with a lock folder.
    private func runSerially(
        _ jobs: JobSet, folder: StoreFolder, store: SQLiteStore, launcher: ScriptedLauncher,
        observer: BuildObserver? = nil, lockWait: Scheduler.LockWait = .wait(timeout: 3600)
    ) throws -> RunSummary {
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: testNow)
        let options = Scheduler.Options(
            workers: 1, lockDirectory: URL(fileURLWithPath: folder.path + "/locks"), lockWait: lockWait,
            environment: ["PATH": "/usr/bin"])
        return Scheduler(jobs: jobs, store: store, launcher: launcher, observer: observer, options: options)
            .run(plan)
    }

    @Test func aSerialRunWritesOneTransactionPerBuildPlusOne() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let jobs = testJobSet([
            testJob("a"), testJob("b"), testJob("c", deps: ["b"]), testJob("d", deps: ["c"]), testJob("e"),
        ])
        let launcher = ScriptedLauncher(["b": [.value("vb")], "c": [.value("vc")]])
        let observer = RecordingObserver()
        let before = store.transactionCount
        let summary = try runSerially(jobs, folder: folder, store: store, launcher: launcher, observer: observer)
        #expect(summary.exitCode == 0)
        #expect(summary.errors.isEmpty)
        #expect(store.transactionCount - before == 6)  // five builds: the first create, four hand-offs, the last end
        let builds = try store.builds(BuildQuery(newestFirst: false))
        #expect(builds.map(\.status) == Array(repeating: .successful, count: 5))
        let byJob = Dictionary(uniqueKeysWithValues: builds.map { ($0.job, $0) })
        #expect(try store.inputs(of: byJob["c"]!.id).map(\.consumed) == [byJob["b"]!.id])
        #expect(try store.inputs(of: byJob["d"]!.id).map(\.retval) == ["vc"])
        // Every build is seen ending before the next starts.
        let order = observer.lines.filter { $0.hasPrefix("started") || $0.hasPrefix("finished") }
        for (index, line) in order.enumerated() {
            #expect(line.hasPrefix(index % 2 == 0 ? "started" : "finished"), "\(order)")
        }
        // No lock is left held.
        for job in ["a", "b", "c", "d", "e"] {
            let lock = try JobLock(directoryPath: folder.path + "/locks", job: job)
            #expect(lock.tryLock(), "\(job)")
        }
        let (stored, expected) = try self.summary(store)
        #expect(stored == expected)
    }

    @Test(arguments: [2, 3])
    func workersHandingOverChainsAndSingleJobsAllEnd(workers: Int) throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        var list: [Job] = (1...6).map { testJob("c\($0)", deps: $0 > 1 ? ["c\($0 - 1)"] : []) }
        list += (1...6).map { testJob("s\($0)") }
        let jobs = testJobSet(list)
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: testNow)
        let options = Scheduler.Options(
            workers: workers, lockDirectory: URL(fileURLWithPath: folder.path + "/locks"),
            environment: ["PATH": "/usr/bin"])
        let summary = Scheduler(jobs: jobs, store: store, launcher: ScriptedLauncher(), options: options).run(plan)
        #expect(summary.exitCode == 0)
        let builds = try store.builds(BuildQuery(newestFirst: false))
        #expect(builds.count == 12)
        #expect(builds.allSatisfy { $0.status == .successful })
        let chain = builds.filter { $0.job.hasPrefix("c") }.map(\.job)
        #expect(chain == ["c1", "c2", "c3", "c4", "c5", "c6"])
        let (stored, expected) = try self.summary(store)
        #expect(stored == expected)
    }

    @Test func aNextJobLockedElsewhereStartsAsAnyTurnDoes() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let jobs = testJobSet([testJob("a"), testJob("b"), testJob("c")])
        let held = try JobLock(directoryPath: folder.path + "/locks", job: "b")
        #expect(held.tryLock())
        let summary = try runSerially(
            jobs, folder: folder, store: store, launcher: ScriptedLauncher(), lockWait: .noWait)
        #expect(summary.exitCode == 75)
        #expect(summary.notRun.map { "\($0.job): \($0.why)" } == ["b: another jcrun is building it (--no-wait)"])
        let builds = try store.builds(BuildQuery(newestFirst: false))
        #expect(builds.map(\.job) == ["a", "c"])
        #expect(builds.map(\.status) == [.successful, .successful])
        held.release()
    }

    @Test func aFailureWithoutKeepGoingHandsOverNothing() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let jobs = testJobSet([testJob("a"), testJob("b")])
        let summary = try runSerially(
            jobs, folder: folder, store: store, launcher: ScriptedLauncher(["a": [.exit(3)]]))
        #expect(summary.exitCode == 1)
        let builds = try store.builds(BuildQuery(newestFirst: false))
        #expect(builds.map(\.job) == ["a"])
        #expect(builds.first?.status == .failed)
        #expect(builds.first?.exitCode == 3)
    }

    @Test func aRetriedAttemptIsEndedAloneAndTheLastHandsOver() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let jobs = testJobSet([testJob("a", retries: 1), testJob("b")])
        let launcher = ScriptedLauncher(["a": [.exit(1), .ok]])
        let summary = try runSerially(jobs, folder: folder, store: store, launcher: launcher)
        #expect(summary.exitCode == 0)
        let builds = try store.builds(BuildQuery(newestFirst: false))
        #expect(builds.map { "\($0.job) \($0.attempt) \($0.status.rawValue)" } == [
            "a 1 failed", "a 2 successful", "b 1 successful",
        ])
    }
}
