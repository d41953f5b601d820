import CSQLite
import Foundation
import Testing

@testable import JobControl

/// A store that cannot record (a full disk, here SQLite's `max_page_count`)
/// while builds run: the build whose output was lost is not a success, and
/// nothing new starts (a tester saw the build end `successful` with its log
/// cut, and its dependents run on).
@Suite struct SchedulerStoreFailureTests {
    @Test func aBuildWhoseOutputCouldNotBeStoredFailsAndNothingNewStarts() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let jobs = testJobSet([testJob("big"), testJob("other"), testJob("after", deps: ["big"])])
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: Date())
        let pages = try #require(try store.connection.integer("PRAGMA page_count"))
        try store.connection.execute("PRAGMA max_page_count = \(pages + 25)")

        // 3 MB of output: more than the recorder lets wait (1 MiB), so the
        // writer must write, and fail, while the job still prints.
        let line = String(repeating: "x", count: 99)
        let output = (0..<30_000).map { _ in
            RunEvent.output(stream: .stdout, text: line, raw: nil, continued: false)
        }
        let launcher = ScriptedLauncher(["big": [Script(events: output)]])
        let options = Scheduler.Options(workers: 1, keepGoing: true, environment: ["PATH": "/usr/bin"])
        let summary = Scheduler(jobs: jobs, store: store, launcher: launcher, options: options).run(plan)

        #expect(launcher.jobsRun == ["big"])
        let big = try #require(summary.builds.first { $0.job == "big" })
        #expect(big.status == .failed)
        #expect(big.failureKind == .storeFailed)
        #expect(big.error?.hasPrefix("the store could not record its output: ") == true)
        #expect(summary.notRun.map { "\($0.job): \($0.why)" }.sorted() == [
            "after: dependency 'big' failed", "other: stopped: the store failed",
        ])
        #expect(!summary.errors.isEmpty)
        #expect(summary.exitCode == 2)
    }

    final class Box<T>: @unchecked Sendable {
        var value: T
        init(_ value: T) { self.value = value }
    }

    /// Another process holds the write lock past the wait while a build's
    /// last lines wait to be written: that build fails `store_failed`, not
    /// the next one (a tester saw the build stored `successful` with a line
    /// missing, its dependent started, and the failure charged to it).
    @Test func aBuildWhoseLastLinesCouldNotBeWrittenIsTheOneThatFails() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        store.connection.busyDeadline = 0.3
        sqlite3_busy_timeout(store.connection.handle, 20)
        let jobs = testJobSet([testJob("chatty"), testJob("after", deps: ["chatty"])])
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: Date())
        let gate = Gate()
        let lines = (1...10).map {
            RunEvent.output(stream: .stdout, text: "line \($0)", raw: nil, continued: false)
        }
        let launcher = ScriptedLauncher(["chatty": [Script(events: lines, gate: gate)]])
        // Lines wait for the end of the build: no tick writes them before.
        let recorder = BuildRecorder(store: store, flushInterval: 60)
        let scheduler = Scheduler(
            jobs: jobs, recorder: recorder, launcher: launcher,
            options: Scheduler.Options(workers: 1, environment: ["PATH": "/usr/bin"]))
        let summary = Box<RunSummary?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            summary.value = scheduler.run(plan)
            done.signal()
        }.start()
        #expect(gate.waitForArrivals(1))
        let holder = try SQLiteConnection(path: folder.databasePath, readOnly: false)
        try holder.execute("BEGIN EXCLUSIVE")
        gate.open()
        done.wait()
        try holder.execute("COMMIT")
        try recorder.close()

        let result = try #require(summary.value)
        #expect(launcher.jobsRun == ["chatty"])
        let chatty = try #require(result.builds.first { $0.job == "chatty" })
        #expect(chatty.status == .failed)
        #expect(chatty.failureKind == .storeFailed)
        #expect(result.notRun.map { "\($0.job): \($0.why)" } == ["after: dependency 'chatty' failed"])
    }
}
