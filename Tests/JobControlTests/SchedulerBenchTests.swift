import Foundation
import Testing

@testable import JobControl

/// Measurements, not assertions: run with `JCRUN_BENCH=1 swift test --filter SchedulerBenchTests`.
/// They print the scheduler's own cost per build (fake store, no process)
/// and the -j 2 speed-up on jobs that sleep 50 ms.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["JCRUN_BENCH"] != nil))
struct SchedulerBenchTests {
    /// A launcher that only sleeps, like `sleep 0.05` without a process.
    final class SleepLauncher: JobLauncher, @unchecked Sendable {
        let seconds: TimeInterval
        init(seconds: TimeInterval) { self.seconds = seconds }
        func run(_ spec: RunSpec, control: RunControl, onEvent: @escaping @Sendable (RunEvent) -> Void) -> RunOutcome {
            onEvent(.started(pid: 1))
            if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
            return RunOutcome(termination: .exited(0))
        }
    }

    private func time(_ jobs: JobSet, workers: Int, launcher: JobLauncher) throws -> TimeInterval {
        let store = MemoryStore()
        let start = Date()
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: Date())
        let options = Scheduler.Options(workers: workers, environment: ["PATH": "/usr/bin"])
        let summary = Scheduler(jobs: jobs, store: store, launcher: launcher, options: options).run(plan)
        #expect(summary.builds.count == jobs.jobs.count)
        return Date().timeIntervalSince(start)
    }

    @Test func schedulerOverheadPerBuild() throws {
        let jobs = testJobSet((1...1000).map { testJob(String(format: "job%04d", $0)) })
        _ = try time(jobs, workers: 1, launcher: SleepLauncher(seconds: 0))
        let seconds = try time(jobs, workers: 1, launcher: SleepLauncher(seconds: 0))
        print("bench: 1000 builds, no process, fake store, -j 1: \(Int(seconds * 1000)) ms, \(Int(seconds * 1_000_000 / 1000)) µs per build")
    }

    @Test func twoWorkersOnSleepingJobs() throws {
        let jobs = testJobSet((1...200).map { testJob(String(format: "job%03d", $0)) })
        let one = try time(jobs, workers: 1, launcher: SleepLauncher(seconds: 0.05))
        let two = try time(jobs, workers: 2, launcher: SleepLauncher(seconds: 0.05))
        print("bench: 200 × 50 ms sleeps: -j 1 \(Int(one * 1000)) ms, -j 2 \(Int(two * 1000)) ms, speed-up \(String(format: "%.2f", one / two))×")
    }

    /// Adds up the time spent inside the wrapped launcher.
    final class TimingLauncher: JobLauncher, @unchecked Sendable {
        let inner = ProcessLauncher()
        private let lock = NSLock()
        private(set) var seconds: TimeInterval = 0
        func run(_ spec: RunSpec, control: RunControl, onEvent: @escaping @Sendable (RunEvent) -> Void) -> RunOutcome {
            let start = Date()
            defer { lock.withLock { seconds += Date().timeIntervalSince(start) } }
            return inner.run(spec, control: control, onEvent: onEvent)
        }
    }

    /// The real per-build path: SQLite store in /tmp, the process launcher, job locks.
    /// Lock files stay between runs, as in a project folder.
    private static let lockFolder = "/tmp/jcrun-sched-bench-locks-\(getpid())"

    private func timeReal(_ jobList: [Job], workers: Int) throws -> TimeInterval {
        let folder = "/tmp/jcrun-sched-bench-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let project = URL(fileURLWithPath: folder)
        let jobs = JobSet(
            projectDir: project, jobsDir: project.appendingPathComponent("jobs.d"), settings: Settings(),
            jobs: jobList)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let start = Date()
        let store = try SQLiteStore.open(path: folder + "/state.db", mode: .write)
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: Date())
        let options = Scheduler.Options(
            workers: workers, lockDirectory: URL(fileURLWithPath: Self.lockFolder),
            environment: ["PATH": "/usr/bin:/bin"])
        let launcher = TimingLauncher()
        let summary = Scheduler(jobs: jobs, store: store, launcher: launcher, options: options).run(plan)
        #expect(summary.exitCode == 0)
        #expect(summary.builds.count == jobs.jobs.count)
        let total = Date().timeIntervalSince(start)
        print("bench: (\(jobs.jobs.count) builds, -j \(workers): \(Int(total * 1000)) ms, \(Int(launcher.seconds * 1000)) ms inside the launcher)")
        return total
    }

    @Test func thousandTrueJobsSerially() throws {
        let jobs = (1...1000).map { testJob(String(format: "job%04d", $0)) }
        _ = try timeReal(jobs, workers: 1)
        let seconds = try timeReal(jobs, workers: 1)
        print("bench: 1000 × /bin/true, SQLite store, process launcher, locks, -j 1: \(Int(seconds * 1000)) ms")
    }

    @Test func twoHundredSleepsOnOneAndTwoWorkers() throws {
        let sleep = Command.argv([.text("/bin/sleep"), .text("0.05")])
        let jobs = (1...200).map { testJob(String(format: "job%03d", $0), command: sleep) }
        let one = try timeReal(jobs, workers: 1)
        let two = try timeReal(jobs, workers: 2)
        print("bench: 200 × sleep 0.05, real: -j 1 \(Int(one * 1000)) ms, -j 2 \(Int(two * 1000)) ms, speed-up \(String(format: "%.2f", one / two))×")
    }
}
