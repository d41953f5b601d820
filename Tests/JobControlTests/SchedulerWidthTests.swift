import Foundation
import Testing

@testable import JobControl

/// A run starts no more worker threads than its plan can ever keep busy
/// (`Scheduler.widthBound`): a chain with `-j 2` runs on one thread, as
/// with `-j 1`, whose next process starts before its write (issue #4).
@Suite struct SchedulerWidthTests {
    /// Runs every job as a success, noting the thread each ran on and
    /// whether its row was stored before its process started.
    final class ThreadNotingLauncher: JobLauncher, @unchecked Sendable {
        private let lock = NSLock()
        private let reader: SQLiteStore
        private var threads: Set<UInt> = []
        private(set) var startedBeforeTheirRow = 0

        init(reader: SQLiteStore) { self.reader = reader }

        var threadCount: Int { lock.withLock { threads.count } }

        func run(
            _ spec: RunSpec, control: RunControl, onEvent: @escaping @Sendable (RunEvent) -> Void
        ) -> RunOutcome {
            let thread = UInt(pthread_self())
            let id = BuildID(spec.environment["JCRUN_BUILD_ID"] ?? "") ?? 0
            lock.withLock {
                _ = threads.insert(thread)
                if (try? reader.build(id)) == nil { startedBeforeTheirRow += 1 }
            }
            onEvent(.started(pid: 4242))
            usleep(2_000)  // long enough for an idle worker to take a ready build
            return RunOutcome(termination: .exited(0))
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        /// Each job with its dependencies.
        let jobs: [(JobID, [JobID])]
        let workers: Int
        /// The most threads the run may use.
        let most: Int
        /// A chain: every build but the first starts before its row is
        /// written, as with one worker (`Scheduler.DeferredStart`).
        var chain = false
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "chain, -j 2", jobs: [("a", []), ("b", ["a"]), ("c", ["b"]), ("d", ["c"])], workers: 2, most: 1,
            chain: true),
        Case(name: "chain, -j 8", jobs: [("a", []), ("b", ["a"]), ("c", ["b"])], workers: 8, most: 1, chain: true),
        Case(
            name: "diamond, -j 4", jobs: [("a", []), ("b", ["a"]), ("c", ["a"]), ("d", ["b", "c"])],
            workers: 4, most: 2),
        Case(name: "two chains, -j 4", jobs: [("a", []), ("b", ["a"]), ("x", []), ("y", ["x"])], workers: 4, most: 2),
        Case(name: "fan-out, -j 2", jobs: [("a", []), ("b", ["a"]), ("c", ["a"]), ("d", ["a"])], workers: 2, most: 2),
    ]

    @Test(arguments: cases)
    func aRunUsesNoMoreThreadsThanItsPlanCanKeepBusy(_ test: Case) throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let jobs = testJobSet(test.jobs.map { testJob($0.0, deps: $0.1) })
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: testNow)
        let launcher = ThreadNotingLauncher(reader: try folder.openStore(.readOnly))
        let options = Scheduler.Options(
            workers: test.workers, lockDirectory: URL(fileURLWithPath: folder.path + "/locks"),
            environment: ["PATH": "/usr/bin"])
        let summary = Scheduler(jobs: jobs, store: store, launcher: launcher, options: options).run(plan)
        #expect(summary.exitCode == 0)
        #expect(launcher.threadCount <= test.most)
        if test.chain { #expect(launcher.startedBeforeTheirRow == test.jobs.count - 1) }
        let builds = try store.builds(BuildQuery(newestFirst: false))
        #expect(builds.count == test.jobs.count)
        #expect(builds.allSatisfy { $0.status == .successful })
        // Ids stay consecutive: no reserved id is left unused.
        #expect(builds.map(\.id) == Array(1...Int64(test.jobs.count)))
    }
}
