import Foundation
import Testing

@testable import JobControl

/// Test fakes shared by the planner, scheduler and lock tests: an in-memory
/// store that derives job states the way JOBS.md says, and a launcher that
/// replays scripted attempts.

/// A fixed instant for the injected clock.
let testNow = Date(timeIntervalSince1970: 1_800_000_000)

/// A job running `/bin/true`, with the given dependencies.
func testJob(
    _ id: JobID, deps: [JobID] = [], command: Command = .argv([.text("/bin/true")]),
    env: [Job.EnvEntry] = [], retries: Int = 0, maxAge: Seconds? = nil, protect: Bool = false,
    earlyCutoff: Bool = false
) -> Job {
    Job(
        id: id, command: command, env: env, dependencies: deps.sorted(), retries: retries,
        maxAge: maxAge, protect: protect, earlyCutoff: earlyCutoff)
}

func testJobSet(_ jobs: [Job], secrets: [String: String] = [:]) -> JobSet {
    JobSet(
        projectDir: URL(fileURLWithPath: "/tmp/jcrun-plan-project"),
        jobsDir: URL(fileURLWithPath: "/tmp/jcrun-plan-project/jobs.d"),
        settings: Settings(secrets: secrets), jobs: jobs)
}

/// A `BuildStore` in memory. Job states follow JOBS.md: the last check is
/// the newest successful build or a newer skipped one after it.
final class MemoryStore: BuildStore, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var records: [BuildRecord] = []
    private(set) var inputRows: [BuildInput] = []
    private(set) var logRows: [LogEntry] = []
    private(set) var progressRows: [ProgressRecord] = []
    private(set) var startedRunners: [BuildID: RunnerIdentity] = [:]
    private var nextID: BuildID = 1
    /// Position of each build in `records`.
    private var position: [BuildID: Int] = [:]

    /// Seeds a finished build of `job` (hash and snapshot of its current
    /// definition unless given), consuming `inputs` (dependency, build).
    @discardableResult
    func seed(
        _ job: Job, status: BuildStatus = .successful, kind: FailureKind? = nil, retval: String? = nil,
        inputs: [(JobID, BuildID)] = [], finished: Date = testNow.addingTimeInterval(-60),
        hash: String? = nil, snapshot: String? = nil
    ) -> BuildID {
        lock.withLock {
            let id = nextID
            nextID += 1
            position[id] = records.count
            records.append(
                BuildRecord(
                    id: id, job: job.id, status: status, failureKind: kind, retval: retval,
                    configHash: hash ?? job.definitionHash,
                    configSnapshot: snapshot ?? job.snapshotJSON(), createdAt: finished,
                    startedAt: finished, finishedAt: finished))
            for (dep, consumed) in inputs {
                let retval = records.first { $0.id == consumed }?.retval
                inputRows.append(BuildInput(build: id, dependency: dep, consumed: consumed, retval: retval))
            }
            return id
        }
    }

    func createBuild(_ build: NewBuild) throws -> BuildRecord {
        lock.withLock {
            let id = nextID
            nextID += 1
            let record = BuildRecord(
                id: id, job: build.job, status: build.status, attempt: build.attempt, reason: build.reason,
                trigger: build.trigger, configHash: build.configHash, configSnapshot: build.configSnapshot,
                createdAt: Date())
            position[id] = records.count
            records.append(record)
            for input in build.inputs {
                var row = input
                row.build = id
                inputRows.append(row)
            }
            return record
        }
    }

    func markStarted(_ id: BuildID, runner: RunnerIdentity) throws {
        lock.withLock { startedRunners[id] = runner }
    }

    /// The runners `markStarted` stored, read while a run may still write.
    var startedRunnersNow: [BuildID: RunnerIdentity] { lock.withLock { startedRunners } }

    func appendLogs(_ entries: [LogEntry]) throws { lock.withLock { logRows += entries } }
    func saveProgress(_ nodes: [ProgressRecord]) throws { lock.withLock { progressRows += nodes } }

    func finishBuild(_ id: BuildID, result: BuildResult) throws {
        try lock.withLock {
            guard let index = position[id] else { throw StoreError.noSuchBuild(id) }
            records[index].apply(result, at: Date())
        }
    }

    func build(_ id: BuildID) throws -> BuildRecord? { lock.withLock { position[id].map { records[$0] } } }

    func builds(_ query: BuildQuery) throws -> [BuildRecord] {
        lock.withLock {
            let found = records.filter { query.job == nil || $0.job == query.job }
            return query.newestFirst ? found.reversed() : found
        }
    }

    func jobStates(_ jobs: [JobID]) throws -> [JobID: JobState] {
        lock.withLock {
            var states: [JobID: JobState] = [:]
            for job in jobs {
                let builds = records.filter { $0.job == job }
                guard let latest = builds.last else { continue }
                let success = builds.last { $0.status == .successful }
                let check = builds.last { $0.status == .skipped && $0.id > (success?.id ?? .max) } ?? success
                let inputs = inputRows.filter { $0.build == check?.id }
                let running = builds.contains { !$0.status.isFinished }
                states[job] = JobState(
                    latest: latest, latestSuccessful: success, lastCheck: check, lastCheckInputs: inputs,
                    isRunning: running, latestFinished: builds.last { $0.status.isFinished })
            }
            return states
        }
    }

    func logs(_ query: LogQuery) throws -> [LogEntry] { lock.withLock { logRows.filter { $0.build == query.build } } }
    func progress(of build: BuildID) throws -> [ProgressRecord] {
        lock.withLock { progressRows.filter { $0.build == build } }
    }
    func inputs(of build: BuildID) throws -> [BuildInput] { lock.withLock { inputRows.filter { $0.build == build } } }
    func consumers(of build: BuildID) throws -> [BuildInput] {
        lock.withLock { inputRows.filter { $0.consumed == build } }
    }
    func deleteBuild(_ id: BuildID) throws { throw StoreError.refused("the test store does not delete") }
    func prune(_ request: PruneRequest) throws -> PruneResult { PruneResult(buildsDeleted: 0, logLinesDeleted: 0) }
    func reapDeadRunners() throws -> [BuildID] { [] }

    func states(_ jobs: JobSet) -> [JobID: JobState] { (try? jobStates(jobs.jobs.map(\.id))) ?? [:] }
}

/// One scripted attempt of the fake launcher.
struct Script: Sendable {
    var events: [RunEvent] = []
    var termination: RunTermination = .exited(0)
    var retval: String?
    var skip: String?
    /// Blocks until the attempt is interrupted, then ends `interrupted`.
    var waitForInterrupt = false
    /// With `waitForInterrupt`: ignores a polite stop, waits to be killed at once.
    var onlyKillStops = false
    /// Blocks until this gate opens.
    var gate: Gate?

    static let ok = Script()
    static func value(_ retval: String) -> Script { Script(retval: retval) }
    static func exit(_ code: Int32) -> Script { Script(termination: .exited(code)) }
}

/// A one-shot latch tests open to let scripted attempts go on.
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false
    private(set) var arrivals = 0

    func open() { condition.withLock { isOpen = true; condition.broadcast() } }

    func pass() {
        condition.withLock {
            arrivals += 1
            condition.broadcast()
            while !isOpen { condition.wait() }
        }
    }

    /// Waits until `count` attempts arrived (bounded, so a bug fails instead of hanging).
    func waitForArrivals(_ count: Int) -> Bool {
        condition.withLock {
            let deadline = Date().addingTimeInterval(10)
            while arrivals < count { if !condition.wait(until: deadline) { return false } }
            return true
        }
    }
}

/// Replays scripts per job (the last one repeats) and records every spec.
final class ScriptedLauncher: JobLauncher, @unchecked Sendable {
    private let lock = NSLock()
    private var scripts: [JobID: [Script]]
    private(set) var specs: [RunSpec] = []
    private var running = 0
    private(set) var mostAtOnce = 0

    init(_ scripts: [JobID: [Script]] = [:]) { self.scripts = scripts }

    var jobsRun: [JobID] { lock.withLock { specs.map { $0.environment["JCRUN_JOB_ID"] ?? "?" } } }

    func run(_ spec: RunSpec, control: RunControl, onEvent: @escaping @Sendable (RunEvent) -> Void) -> RunOutcome {
        let job = spec.environment["JCRUN_JOB_ID"] ?? "?"
        let script: Script = lock.withLock {
            specs.append(spec)
            running += 1
            mostAtOnce = max(mostAtOnce, running)
            var queue = scripts[job] ?? []
            let next = queue.first ?? .ok
            if queue.count > 1 { queue.removeFirst() }
            scripts[job] = queue
            return next
        }
        defer { lock.withLock { running -= 1 } }
        onEvent(.started(pid: 4242))
        for event in script.events { onEvent(event) }
        script.gate?.pass()
        if script.waitForInterrupt {
            let stopped = Gate()
            let onlyKill = script.onlyKillStops
            control.onInterrupt { _, immediately in if immediately || !onlyKill { stopped.open() } }
            stopped.pass()
            let signal = control.requestedSignal ?? SIGINT
            return RunOutcome(termination: control.killRequested ? .signaled(9, "SIGKILL") : .interrupted(signal))
        }
        return RunOutcome(
            termination: script.termination, retval: script.retval, skipped: script.skip != nil,
            skipReason: script.skip)
    }
}

/// Records what the scheduler reports, as lines.
final class RecordingObserver: BuildObserver, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var lines: [String] = []

    func planned(_ plan: Plan) { lock.withLock { lines.append("plan \(plan.builds.map(\.job))") } }
    func buildStarted(_ build: BuildRecord, job: Job) {
        lock.withLock { lines.append("started \(build.job) attempt \(build.attempt)") }
    }
    func buildEvent(_ build: BuildRecord, _ event: RunEvent) {}
    func buildFinished(_ build: BuildRecord) {
        lock.withLock { lines.append("finished \(build.job) \(build.status.rawValue)") }
    }
    func runFinished(_ summary: RunSummary) { lock.withLock { lines.append("run finished") } }
}
