import Foundation
import Testing

@testable import JobControl

/// Job locks across schedulers and processes (flock on `locks/<job>.lock`).
@Suite struct LockTests {
    /// A fresh folder under /tmp for one test's lock files.
    private func lockFolder() -> URL {
        let url = URL(fileURLWithPath: "/tmp/jcrun-lock-tests-\(getpid())-\(UUID().uuidString)/locks")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test(arguments: [
        ("report", "report.8a97c3dd8f5d56f8.lock"),
        ("café", "caf.2b7b4dad5b27fab7.lock"),
        ("données/..", "donnes.ec36ea5f6e9e7e84.lock"),
        ("日本", "job.2d0fad8ad5d06d4e.lock"),
    ])
    func aJobIdBecomesASafeFileName(id: String, expected: String) {
        let name = JobLock.fileName(for: id)
        #expect(name.hasPrefix(expected.split(separator: ".")[0] + "."))
        #expect(name.hasSuffix(".lock") && name.count == expected.count)
        #expect(name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
    }

    @Test func unicodeIdsAreComparedAfterNFC() {
        #expect(JobLock.fileName(for: "caf\u{E9}") == JobLock.fileName(for: "cafe\u{301}"))
        #expect(JobLock.fileName(for: "café") != JobLock.fileName(for: "cafe"))
        #expect(JobLock.fileName(for: "日本") != JobLock.fileName(for: "中国"))
    }

    @Test func twoLocksOfOneJobExcludeEachOtherUntilReleased() throws {
        let folder = lockFolder()
        let first = try JobLock(directory: folder, job: "x")
        let second = try JobLock(directory: folder, job: "x")
        let other = try JobLock(directory: folder, job: "y")
        #expect(first.tryLock())
        #expect(!second.tryLock())
        #expect(other.tryLock())
        first.release()
        #expect(second.tryLock())
    }

    @Test func aLockHeldByAKilledProcessIsReleased() throws {
        let folder = lockFolder()
        let path = folder.appendingPathComponent(JobLock.fileName(for: "x")).path
        // A shell takes the lock on descriptor 9 through flock(1), then becomes `sleep`.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "exec 9>\"$0\"; flock 9; echo locked; exec sleep 60", path]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        let line = output.fileHandleForReading.availableData
        #expect(String(decoding: line, as: UTF8.self) == "locked\n")
        let lock = try JobLock(directory: folder, job: "x")
        #expect(!lock.tryLock())
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        #expect(lock.tryLock())
    }

    /// Two schedulers share one store and one lock folder; the first holds
    /// the job's lock while its build runs.
    private func contend(wait: Scheduler.LockWait) throws -> (first: RunSummary, second: RunSummary, store: MemoryStore, launcher: ScriptedLauncher) {
        let folder = lockFolder()
        let jobs = testJobSet([testJob("x")])
        let store = MemoryStore()
        let gate = Gate()
        let firstLauncher = ScriptedLauncher(["x": [Script(gate: gate)]])
        let secondLauncher = ScriptedLauncher()
        let request = PlanRequest(targets: .all, mode: .buildOutdated)
        let plan = try Planner().plan(request, jobs: jobs, store: store, now: testNow)
        let options = Scheduler.Options(workers: 1, lockDirectory: folder, lockWait: wait)
        let first = Scheduler(jobs: jobs, store: store, launcher: firstLauncher, options: options)
        let waiting = LockWaitObserver()
        let second = Scheduler(
            jobs: jobs, store: store, launcher: secondLauncher, observer: waiting, options: options)
        let firstBox = SummaryBox()
        let secondBox = SummaryBox()
        Thread { firstBox.set(first.run(plan)) }.start()
        #expect(gate.waitForArrivals(1))
        Thread { secondBox.set(second.run(plan)) }.start()
        if case .noWait = wait {
            _ = secondBox.wait()
        } else {
            #expect(waiting.gate.waitForArrivals(1))
        }
        gate.open()
        let firstSummary = try #require(firstBox.wait())
        let secondSummary = try #require(secondBox.wait())
        return (firstSummary, secondSummary, store, secondLauncher)
    }

    @Test func withNoWaitTheSecondLeavesTheJobAndExits75() throws {
        let (first, second, store, launcher) = try contend(wait: .noWait)
        #expect(first.exitCode == 0)
        #expect(launcher.jobsRun.isEmpty)
        #expect(second.notRun.map { "\($0.job): \($0.why)" } == ["x: another jcrun is building it (--no-wait)"])
        #expect(second.lockNotObtained)
        #expect(second.exitCode == 75)
        #expect(store.records.count == 1)
    }

    @Test func withWaitTheSecondReplansAndFindsTheJobUpToDate() throws {
        let (first, second, store, launcher) = try contend(wait: .wait(timeout: 30))
        #expect(first.exitCode == 0)
        #expect(launcher.jobsRun.isEmpty)
        // Up to date, and why: the first run's build #1 (issue #5, part 7).
        #expect(second.leftOut == [LeftOut(job: "x", why: .builtMeanwhile(1))])
        #expect(second.exitCode == 0)
        #expect(store.records.count == 1)
    }

    /// Issue #5, part 7: the second run waits on `a`'s lock, finds `a` built
    /// by the first run, and rebuilds `b` with that build (its plan's rebuild
    /// condition only knew of builds of its own run).
    @Test func aDependentIsRebuiltWithTheBuildAnotherRunMadeWhileThisOneWaited() throws {
        let folder = lockFolder()
        let a = testJob("a")
        let b = testJob("b", deps: ["a"])
        let jobs = testJobSet([a, b])
        let store = MemoryStore()
        let old = store.seed(a, retval: "old", hash: "changed since")
        store.seed(b, inputs: [("a", old)])
        let gate = Gate()
        let options = Scheduler.Options(workers: 1, lockDirectory: folder, lockWait: .wait(timeout: 30))
        let first = Scheduler(
            jobs: jobs, store: store, launcher: ScriptedLauncher(["a": [Script(retval: "new", gate: gate)]]),
            options: options)
        let onlyA = try Planner().plan(PlanRequest(targets: .jobs(["a"])), jobs: jobs, store: store, now: testNow)
        let firstBox = SummaryBox()
        Thread { firstBox.set(first.run(onlyA)) }.start()
        #expect(gate.waitForArrivals(1))

        let plan = try Planner().plan(
            PlanRequest(targets: .all, mode: .buildOutdated), jobs: jobs, store: store, now: testNow)
        #expect(plan.builds.map(\.job) == ["a", "b"])
        #expect(plan.builds.last?.condition != nil)
        let waiting = LockWaitObserver()
        let launcher = ScriptedLauncher()
        let second = Scheduler(jobs: jobs, store: store, launcher: launcher, observer: waiting, options: options)
        let secondBox = SummaryBox()
        Thread { secondBox.set(second.run(plan)) }.start()
        #expect(waiting.gate.waitForArrivals(1))
        gate.open()
        #expect(try #require(firstBox.wait()).exitCode == 0)
        let summary = try #require(secondBox.wait())
        #expect(summary.exitCode == 0)
        #expect(launcher.jobsRun == ["b"])
        #expect(summary.leftOut == [LeftOut(job: "a", why: .builtMeanwhile(3))])
        let built = try #require(summary.builds.first)
        #expect(built.reason == "dependency 'a' has a newer successful build #3")
        #expect(try store.inputs(of: built.id).map(\.consumed) == [3])
        #expect(launcher.specs.first?.environment["JCRUN_RETVAL_A"] == "new")
    }

    /// A job another run built after this run's plan was made is up to date
    /// when its lock is taken, though no one holds it then (no wait): the
    /// store changed (the test store cannot tell, so it is always read again).
    @Test func aJobBuiltElsewhereSinceThePlanIsUpToDateWithoutAWait() throws {
        let x = testJob("x")
        let y = testJob("y", deps: ["x"])
        let jobs = testJobSet([x, y])
        let store = MemoryStore()
        let states = store.states(jobs)
        let plan = try Planner().plan(
            PlanRequest(targets: .all, mode: .buildOutdated), jobs: jobs, states: states, now: testNow)
        #expect(plan.builds.map(\.job) == ["x", "y"])
        // Another jcrun builds both meanwhile.
        let other = store.seed(x)
        let otherY = store.seed(y, inputs: [("x", other)])
        let launcher = ScriptedLauncher()
        let options = Scheduler.Options(workers: 1, lockDirectory: lockFolder())
        // The states the plan was made from, as the CLI passes them.
        let summary = Scheduler(jobs: jobs, store: store, launcher: launcher, options: options)
            .run(plan, states: states)
        #expect(launcher.jobsRun.isEmpty)
        #expect(summary.leftOut == [
            LeftOut(job: "x", why: .builtMeanwhile(other)), LeftOut(job: "y", why: .builtMeanwhile(otherY)),
        ])
        #expect(summary.exitCode == 0)
    }

    @Test func aLockTimeoutLeavesTheJobNotRun() throws {
        let folder = lockFolder()
        let held = try JobLock(directory: folder, job: "x")
        #expect(held.tryLock())
        let jobs = testJobSet([testJob("x"), testJob("y", deps: ["x"])])
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, states: [:], now: testNow)
        let options = Scheduler.Options(workers: 1, lockDirectory: folder, lockWait: .wait(timeout: 0))
        let launcher = ScriptedLauncher()
        let summary = Scheduler(jobs: jobs, store: MemoryStore(), launcher: launcher, options: options).run(plan)
        #expect(launcher.jobsRun.isEmpty)
        #expect(summary.notRun.map { "\($0.job): \($0.why)" } == ["x: another jcrun is still building it (--lock-timeout)", "y: dependency 'x' was not run"])
        #expect(summary.exitCode == 75)
    }
}

/// Lets a test see that a scheduler waits for a lock.
final class LockWaitObserver: BuildObserver, @unchecked Sendable {
    let gate = Gate()

    init() { gate.open() }

    func planned(_ plan: Plan) {}
    func buildStarted(_ build: BuildRecord, job: Job) {}
    func buildEvent(_ build: BuildRecord, _ event: RunEvent) {}
    func buildFinished(_ build: BuildRecord) {}
    func runFinished(_ summary: RunSummary) {}
    func waitingForLock(_ job: JobID) { gate.pass() }
}
