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
}
