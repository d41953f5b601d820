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
        #expect(second.leftOut == [LeftOut(job: "x", why: .upToDate)])
        #expect(second.exitCode == 0)
        #expect(store.records.count == 1)
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
