import Foundation
import Testing

@testable import JobControl

/// A worker starts its next build before the observer hears that the last
/// one finished and the next one started (issue #4: rendering left the path
/// from one build's end to the next one's start). The observer must still
/// see every call, in the order the scheduler made them.
@Suite struct ObserverOrderTests {
    /// Every observer call as a line, with the build's job.
    final class CallLog: BuildObserver, @unchecked Sendable {
        private let lock = NSLock()
        private(set) var lines: [String] = []
        var outputLineLimit: Int? { nil }

        func add(_ line: String) { lock.withLock { lines.append(line) } }
        func planned(_ plan: Plan) { add("planned") }
        func buildStarted(_ build: BuildRecord, job: Job) { add("started \(build.job)") }
        func buildEvent(_ build: BuildRecord, _ event: RunEvent) {
            switch event {
            case .started: add("process \(build.job)")
            case .output(_, let text, _, _): add("line \(build.job) \(text)")
            default: add("event \(build.job)")
            }
        }
        func buildFinished(_ build: BuildRecord) { add("finished \(build.job) \(build.status.rawValue)") }
        func runFinished(_ summary: RunSummary) { add("run finished") }
    }

    @Test func heldCallsRunBeforeTheNextCallAndAtFlushInOrder() {
        let log = CallLog()
        let gate = ObserverGate(log)
        let record = BuildRecord(id: 1, job: "a", status: .running, createdAt: Date())
        gate.sendLater { $0.buildFinished(record) }
        gate.sendLater { $0.buildStarted(record, job: testJob("a")) }
        #expect(log.lines.isEmpty)
        gate.send { $0.buildEvent(record, .started(pid: 1)) }
        #expect(log.lines == ["finished a running", "started a", "process a"])
        gate.sendLater { $0.buildFinished(record) }
        gate.flush()
        gate.flush()
        #expect(log.lines == ["finished a running", "started a", "process a", "finished a running"])
    }

    @Test func aGateWithoutObserverHoldsNothing() {
        let gate = ObserverGate(nil)
        var called = false
        gate.sendLater { _ in called = true }
        gate.flush()
        gate.send { _ in called = true }
        #expect(!called)
    }

    /// Real processes, a chain and independent jobs: each build is
    /// announced before its process's events, each ends after them, a
    /// dependency ends before its dependent starts, and nothing is left
    /// held once the run returns.
    @Test(arguments: [1, 2])
    func theObserverSeesEachBuildInOrder(workers: Int) throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        defer { store.close() }
        let echo: (String) -> Command = { word in .argv([.text("/bin/echo"), .text(word)]) }
        var list: [Job] = (1...4).map { testJob("c\($0)", deps: $0 > 1 ? ["c\($0 - 1)"] : [], command: echo("c\($0)")) }
        list += (1...4).map { testJob("s\($0)", command: echo("s\($0)")) }
        let jobs = JobSet(
            projectDir: URL(fileURLWithPath: folder.path), jobsDir: URL(fileURLWithPath: folder.path + "/jobs.d"),
            settings: Settings(), jobs: list)
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: testNow)
        let log = CallLog()
        let options = Scheduler.Options(
            workers: workers, lockDirectory: URL(fileURLWithPath: folder.path + "/locks"),
            environment: ["PATH": "/usr/bin:/bin"])
        let summary = Scheduler(
            jobs: jobs, store: store, launcher: ProcessLauncher(), observer: log, options: options
        ).run(plan)
        #expect(summary.exitCode == 0)
        let lines = log.lines
        #expect(lines.first == "planned")
        #expect(lines.last == "run finished")
        func position(_ line: String) -> Int {
            let found = lines.firstIndex(of: line)
            #expect(found != nil, "\(line) in \(lines)")
            return found ?? -1
        }
        for job in list.map(\.id) {
            #expect(lines.filter { $0.hasPrefix("started \(job)") }.count == 1, "\(lines)")
            let started = position("started \(job)")
            let process = position("process \(job)")
            let line = position("line \(job) \(job)")
            let finished = position("finished \(job) successful")
            #expect(started < process && process < line && line < finished, "\(lines)")
        }
        for index in 2...4 {
            #expect(position("finished c\(index - 1) successful") < position("started c\(index)"), "\(lines)")
        }
    }
}
