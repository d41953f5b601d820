import Foundation
import Testing

@testable import JobControl

/// A build's end is the job's: when storing it waits for another process's
/// write lock, the stored end and the run summary's are the same time, the
/// one before the wait (the summary showed the job's time, the store a
/// longer one).
@Suite struct SchedulerEndTimeTests {
    /// Ends each job while another connection holds the store's write lock,
    /// which it releases on a thread of its own a little later.
    final class LockingLauncher: JobLauncher, @unchecked Sendable {
        let holder: SQLiteConnection
        let lock = NSLock()
        var releasedAt: Date?

        init(_ holder: SQLiteConnection) { self.holder = holder }

        func run(
            _ spec: RunSpec, control: RunControl, onEvent: @escaping @Sendable (RunEvent) -> Void
        ) -> RunOutcome {
            onEvent(.started(pid: 4242))
            onEvent(.output(stream: .stdout, text: "done", raw: nil, continued: false))
            try? holder.execute("BEGIN EXCLUSIVE")
            Thread.detachNewThread { [self] in
                Thread.sleep(forTimeInterval: 0.3)
                lock.withLock { releasedAt = Date() }
                try? holder.execute("COMMIT")
            }
            return RunOutcome(termination: .exited(0))
        }
    }

    @Test func theSummaryAndTheStoreAgreeOnABuildWhoseEndWaitedForTheLock() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let holder = try SQLiteConnection(path: folder.databasePath, readOnly: false)
        let launcher = LockingLauncher(holder)
        let jobs = testJobSet([testJob("a")])
        let plan = try Planner().plan(PlanRequest(targets: .jobs(["a"])), jobs: jobs, store: store, now: Date())
        let options = Scheduler.Options(workers: 1, environment: ["PATH": "/usr/bin"])
        let summary = Scheduler(jobs: jobs, store: store, launcher: launcher, observer: nil, options: options)
            .run(plan)
        #expect(summary.exitCode == 0)

        let shown = try #require(summary.builds.first)
        let stored = try #require(try store.build(shown.id))
        let micros = { (date: Date?) in date.map(SQLiteStatement.micros) }
        #expect(micros(shown.startedAt) == micros(stored.startedAt))
        #expect(micros(shown.finishedAt) == micros(stored.finishedAt))
        // The stored end is the job's, before the lock was released.
        let released = try #require(launcher.lock.withLock { launcher.releasedAt })
        #expect(try #require(stored.finishedAt) < released)
        #expect(try store.logs(LogQuery(build: shown.id)).map(\.text) == ["done"])
    }

    /// On either store the summary's times are the stored ones, for a
    /// build that ends alone and for one whose end creates the next.
    @Test(arguments: StoreBackend.available)
    func theSummaryShowsTheStoredTimes(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let jobs = testJobSet([testJob("a"), testJob("b", deps: ["a"])])
        let plan = try Planner().plan(
            PlanRequest(targets: .jobs(["b"])), jobs: jobs, store: test.store, now: Date())
        let options = Scheduler.Options(workers: 1, environment: ["PATH": "/usr/bin"])
        let summary = Scheduler(
            jobs: jobs, store: test.store, launcher: ScriptedLauncher(), observer: nil, options: options
        ).run(plan)
        #expect(summary.exitCode == 0)
        #expect(summary.builds.count == 2)
        let micros = { (date: Date?) in date.map(SQLiteStatement.micros) }
        for shown in summary.builds {
            let stored = try #require(try test.store.build(shown.id))
            #expect(micros(shown.startedAt) == micros(stored.startedAt), "\(shown.job)")
            #expect(micros(shown.finishedAt) == micros(stored.finishedAt), "\(shown.job)")
        }
    }
}
