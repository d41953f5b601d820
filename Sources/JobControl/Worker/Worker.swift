import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `jcrun worker`: claims ready builds from a `BuildQueue` and runs them
/// with the same runner and run specs as a local run, in this machine's copy
/// of the project, up to `slots` at once.
///
/// It wakes on the queue's notifications (with a slow fallback poll), holds
/// each claimed build under a lease renewed every third of its length, and
/// kills a build whose lease another process took over (it was failed and
/// retried elsewhere), so a build never runs twice at once. `stop(signal:)`
/// stops claiming; running builds may finish for `grace` seconds, then get
/// the signal as a local run's builds do; a second stop kills them at once.
// TODO(#10): per build the server spends 0.41-0.49 ms of CPU on a worker's
// end and next claim and the workers 0.20-0.22 ms (bench/lib/w11_profile.sh),
// more than a local run on SQLite spends besides its jobs (about 0.35 ms): on
// one 2-core machine, 1,000 no-op jobs through three workers take about 1.24x
// as long as one local `-j 3` run on SQLite. Writing `builds` once per short
// build (the status with the start or the end, not at the claim) would cut
// the server's share by about 15% (bench/ANALYSIS.md, W11); but the claim
// also writes the runner's host, which the reaper needs to kill a dead
// worker's processes on this host before the start is written.
public final class Worker: @unchecked Sendable {
    public struct Options: Sendable {
        /// `-j N`: builds run at once.
        public var slots: Int
        /// `--tags`: a job is claimed only when all its tags are here.
        public var tags: [String]
        /// `--grace`: how long running builds may go on after a stop.
        public var grace: TimeInterval
        /// How long a claimed build stays this worker's without renewal.
        public var lease: TimeInterval
        /// The fallback poll when no notification comes.
        public var poll: TimeInterval
        /// jcrun's own environment, the base of every build's.
        public var environment: [String: String]

        public init(
            slots: Int = 1, tags: [String] = [], grace: TimeInterval = 60, lease: TimeInterval = 15,
            poll: TimeInterval = 5,
            environment: [String: String] = ProcessInfo.processInfo.environment
        ) {
            self.slots = max(1, slots)
            self.tags = tags
            self.grace = grace
            self.lease = lease
            self.poll = poll
            self.environment = environment
        }
    }

    /// What the worker does, for its log on stderr.
    public enum Event: Sendable {
        case claimed(BuildRecord)
        case finished(BuildRecord, claimToStart: TimeInterval?)
        /// The build waits for its job's lock: another jcrun (a local run) builds the job.
        case waitingForLock(BuildRecord)
        /// Its job's lock was held elsewhere; once it was free, another
        /// jcrun had brought the job up to date with this build (the queue
        /// dropped the claimed one unbuilt).
        case upToDate(BuildRecord, builtBy: BuildID)
        /// The lease ended and another process failed the build; it was killed here.
        case leaseLost(BuildID)
        case problem(String)
    }

    /// This machine's job definitions and the run specs made from them;
    /// read again (under `cond`) when a claimed build's job is not defined
    /// as it was queued: the files may have changed since the worker started.
    private var jobs: JobSet
    private var specs: RunSpecBuilder
    let reloadJobs: (@Sendable () throws -> JobSet)?
    let options: Options
    let launcher: JobLauncher
    let onEvent: @Sendable (Event) -> Void
    /// Claims, leases, inputs, results (one connection).
    let control: QueueGate
    /// Logs and progress, batched (another connection).
    let recorder: BuildRecorder
    /// Waits for notifications (a third connection).
    let listener: BuildQueue
    /// `host:pid:start`, unique per worker process.
    let owner: String
    let identity: RunnerIdentity

    /// How long after its process runs a build's start is written, unless
    /// the build ended first (then the start goes with the end). A
    /// worker killed within it leaves a build without a recorded process
    /// group; the reaper then finds its processes by their environment.
    static let startDelay: TimeInterval = 0.05

    /// Writes the starts of builds (`startClaimed`), one at a time, 50-60 ms
    /// after their processes run.
    let starts = DelayedCalls(delay: Worker.startDelay, slack: 0.01)
    let cond = NSCondition()
    private var running: [BuildID: RunControl] = [:]
    private var stopSignal: Int32?
    private var stops = 0
    private var interrupted = false
    private var latencies: [TimeInterval] = []
    private var finishedCount = 0
    /// Build threads not yet through their last bookkeeping: a build leaves
    /// `running` when its end is written (its slot goes to the next claim),
    /// before its thread counts it, so `run` also waits for this to be 0.
    private var executing = 0
    private let wake: (read: Int32, write: Int32)

    /// Opens three connections with `open` (claims, logs, notifications).
    /// `reloadJobs` reads the job files again (nil: never).
    ///
    /// - Throws: what `open` throws.
    public init(
        jobs: JobSet, reloadJobs: (@Sendable () throws -> JobSet)? = nil,
        open: () throws -> BuildQueue, launcher: JobLauncher = ProcessLauncher(),
        options: Options = Options(), onEvent: @escaping @Sendable (Event) -> Void = { _ in }
    ) throws {
        self.jobs = jobs
        self.reloadJobs = reloadJobs
        self.options = options
        self.launcher = launcher
        self.onEvent = onEvent
        self.specs = RunSpecBuilder(jobs: jobs, environment: options.environment)
        self.control = QueueGate(try open())
        self.recorder = BuildRecorder(store: try open())
        self.listener = try open()
        identity = .current()
        owner = "\(identity.host):\(identity.pid):\(identity.processStart)"
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw StoreError.engine(
                message: "cannot make a pipe: \(SystemErrorText.of(code: errno))")
        }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        wake = (ends[0], ends[1])
    }

    deinit {
        close(wake.read)
        close(wake.write)
    }

    /// How a worker's run ended.
    public struct Summary: Sendable {
        public var buildsRun: Int
        /// Seconds from a claim's commit to its process running, per build.
        public var claimToStart: [TimeInterval]
        /// The stop signal, when builds had to be interrupted after `grace`.
        public var interruptedBy: Int32?
    }

    /// Claims and runs builds until `stop(signal:)`; returns when every
    /// build it started has ended.
    public func run() -> Summary {
        announce()  // `--wait` knows from now on that a worker with these tags runs
        let renewer = Thread { [self] in leaseLoop() }
        renewer.start()

        // Claim while there are free slots, then wait for the queue to change.
        while !isStopping {
            // As many builds as there are free slots, in one round trip.
            if claimFreeSlots() > 0 { continue }
            do {
                _ = try listener.waitForQueueChange(timeout: options.poll, wakeFD: wake.read)
            } catch {
                onEvent(.problem("cannot wait for the queue: \(error)"))
                waitForWake(seconds: options.poll)
            }
            drainWake()
        }

        // Stopping: builds may finish until the grace period ends, then are interrupted.
        let deadline = Date().addingTimeInterval(options.grace)
        cond.lock()
        while !running.isEmpty && Date() < deadline && !interrupted {
            _ = cond.wait(until: deadline)
        }
        let leftovers = Array(running.values)
        let signal = stopSignal ?? SIGTERM
        if !leftovers.isEmpty { interrupted = true }
        cond.unlock()
        for control in leftovers { control.interrupt(signal: signal) }
        cond.withLock { while !running.isEmpty || executing > 0 { cond.wait() } }
        starts.stop()  // every build ended: its start was written or went with its end
        do {
            try control.sync { try $0.retireWorker(owner: owner) }
        } catch {
            onEvent(.problem("cannot record that this worker stops: \(error)"))
        }
        try? recorder.close()  // every build flushed its log before finishing
        return cond.withLock {
            Summary(
                buildsRun: finishedCount, claimToStart: latencies,
                interruptedBy: interrupted ? signal : nil)
        }
    }

    /// Asks the worker to stop (a signal handler's thread may call it): the
    /// first call stops claiming, a second one interrupts running builds at once.
    public func stop(signal: Int32 = SIGTERM) {
        let toKill: [RunControl] = cond.withLock {
            stops += 1
            if stopSignal == nil { stopSignal = signal }
            cond.broadcast()
            guard stops > 1 else { return [] }
            interrupted = true
            return Array(running.values)
        }
        for control in toKill { control.interrupt(signal: signal, immediately: true) }
        poke()
    }

    private var isStopping: Bool { cond.withLock { stopSignal != nil } }

    // MARK: Claiming

    /// Claims a build for each free slot and starts them; how many. Slots
    /// are counted and the claims registered under the queue gate, so that
    /// the main loop and finishing builds (`finishAndClaim`) never claim one
    /// slot twice.
    private func claimFreeSlots() -> Int {
        do {
            let started: [(ClaimedBuild, RunControl)] = try control.sync { queue in
                let free = cond.withLock { stopSignal == nil ? options.slots - running.count : 0 }
                guard free > 0 else { return [] }
                let claimed = try queue.claim(
                    limit: free, tags: options.tags, runner: identity, owner: owner,
                    lease: options.lease)
                return register(claimed, replacing: nil)
            }
            for (build, runControl) in started { launch(build, control: runControl) }
            return started.count
        } catch {
            onEvent(.problem("cannot claim a build: \(error)"))
            waitForWake(seconds: options.poll)
            return 0
        }
    }

    /// Marks `claimed` running here (and `finished` no longer); the caller holds the gate.
    private func register(_ claimed: [ClaimedBuild], replacing finished: BuildID?)
        -> [(ClaimedBuild, RunControl)]
    {
        let started = claimed.map { ($0, RunControl()) }
        cond.withLock {
            if let finished { running[finished] = nil }
            for (build, runControl) in started { running[build.build.id] = runControl }
        }
        return started
    }

    /// Runs a registered build on a thread of its own, which then runs the
    /// first build claimed at each end: a slot keeps its thread while it
    /// has builds to run (no thread made and ended per build).
    private func launch(_ build: ClaimedBuild, control runControl: RunControl) {
        cond.withLock { executing += 1 }
        let thread = Thread { [self] in
            var current: (ClaimedBuild, RunControl)? = (build, runControl)
            while let (claimed, control) = current {
                onEvent(.claimed(claimed.build))
                let next = execute(claimed, control: control)
                current = next.first
                for (other, otherControl) in next.dropFirst() {
                    launch(other, control: otherControl)
                }
            }
            cond.withLock {
                executing -= 1
                if stopSignal != nil { cond.broadcast() }  // see `execute`
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func poke() {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)  // a full pipe already wakes the loop
    }

    private func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wake.read, &buffer, buffer.count) > 0 {}
    }

    private func waitForWake(seconds: TimeInterval) {
        var fd = pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)
        _ = Glibc.poll(&fd, 1, Int32(seconds * 1_000))
    }

    // MARK: Leases

    /// Records in the store that this worker runs, with its tags, for a
    /// lease's length (renewed with the leases).
    private func announce() {
        do {
            try control.sync {
                try $0.announceWorker(
                    owner: owner, runner: identity, tags: options.tags, slots: options.slots,
                    lease: options.lease)
            }
        } catch {
            onEvent(.problem("cannot record that this worker runs: \(error)"))
        }
    }

    /// Renews this worker's leases every third of their length, kills builds
    /// whose lease was taken over, and reaps builds of dead workers.
    private func leaseLoop() {
        let every = max(0.05, options.lease / 3)
        while true {
            // The condition is broadcast at a stop and, once stopping, at every
            // end: wait out the whole interval (one renewal round per interval).
            let deadline = Date().addingTimeInterval(every)
            let done: Bool = cond.withLock {
                while !(stopSignal != nil && running.isEmpty) && Date() < deadline {
                    _ = cond.wait(until: deadline)
                }
                return stopSignal != nil && running.isEmpty
            }
            if done { return }
            if !isStopping { announce() }
            let mine: [BuildID: RunControl] = cond.withLock { running }
            do {
                let held = try control.sync {
                    try $0.renewLeases(owner: owner, builds: Array(mine.keys), lease: options.lease)
                }
                for (id, runControl) in mine where !held.contains(id) {
                    // Finished meanwhile, or taken over: only a build still running here is killed.
                    guard cond.withLock({ running[id] != nil }) else { continue }
                    onEvent(.leaseLost(id))
                    runControl.interrupt(signal: SIGKILL, immediately: true)
                }
                _ = try control.sync { try $0.reapDeadRunners() }
            } catch {
                onEvent(.problem("cannot renew leases: \(error)"))
            }
        }
    }

    // MARK: Running one build

    /// Runs one build and records its end; the builds claimed with the end
    /// (registered, not yet started).
    private func execute(_ claimed: ClaimedBuild, control runControl: RunControl)
        -> [(ClaimedBuild, RunControl)]
    {
        let claimedAt = Date()
        let latency = LatencyBox()
        let record = claimed.build
        let start = StartRecord()
        let ending = run(
            claimed, runControl: runControl, claimedAt: claimedAt, latency: latency, start: start)
        guard case .result(let result) = ending else {
            if case .upToDate(let check) = ending { return drop(record, upToDateWith: check) }
            return []
        }
        // A build that ended before its start was written: the start goes with the end.
        let unwritten = start.takeForEnd()

        // The end and the next claims for the slots free then, in one round trip.
        var next: [(ClaimedBuild, RunControl)] = []
        do {
            try recorder.flush()
            next = try control.sync { queue in
                let free = cond.withLock {
                    stopSignal == nil ? options.slots - running.count + 1 : 0
                }
                let outcome = try queue.finishAndClaim(
                    record.id, result: result, start: unwritten, limit: free, tags: options.tags,
                    runner: identity, owner: owner, lease: options.lease)
                if let error = outcome.finishError {
                    onEvent(.problem("cannot finish build #\(record.id): \(error)"))
                }
                return register(outcome.claimed, replacing: record.id)
            }
        } catch {
            onEvent(.problem("cannot finish build #\(record.id): \(error)"))
        }
        var finished = record
        finished.apply(result, at: Date())
        cond.withLock {
            running[record.id] = nil
            finishedCount += 1
            if let value = latency.value { latencies.append(value) }
            // Only a stopping worker waits for builds to end (`run`, `leaseLoop`):
            // a broadcast at every end woke the lease thread once per build.
            if stopSignal != nil { cond.broadcast() }
        }
        onEvent(.finished(finished, claimToStart: latency.value))
        if next.isEmpty { poke() }
        return next
    }

    /// How a claimed build's turn ended.
    enum Ending {
        /// It ran (or failed to start): the result to store.
        case result(BuildResult)
        /// Another jcrun brought its job up to date with this build meanwhile.
        case upToDate(BuildID)
    }

    /// Drops claimed build `record` as up to date (`BuildQueue.dropClaimed`)
    /// and claims for the slots free then; the builds claimed.
    private func drop(_ record: BuildRecord, upToDateWith check: BuildID) -> [(ClaimedBuild, RunControl)] {
        var next: [(ClaimedBuild, RunControl)] = []
        do {
            try recorder.flush()
            next = try control.sync { queue in
                if !(try queue.dropClaimed(record.id, of: record.job, upToDateWith: check, owner: owner)) {
                    onEvent(.problem("cannot drop build #\(record.id): its lease was taken over"))
                }
                let free = cond.withLock { stopSignal == nil ? options.slots - running.count + 1 : 0 }
                let claimed =
                    free > 0
                    ? try queue.claim(
                        limit: free, tags: options.tags, runner: identity, owner: owner,
                        lease: options.lease) : []
                return register(claimed, replacing: record.id)
            }
        } catch {
            onEvent(.problem("cannot drop build #\(record.id): \(error)"))
        }
        cond.withLock {
            running[record.id] = nil
            if stopSignal != nil { cond.broadcast() }
        }
        onEvent(.upToDate(record, builtBy: check))
        if next.isEmpty { poke() }
        return next
    }

    /// Why a claimed build's job cannot run here.
    struct DefinitionProblem: Error {
        let message: String
    }

    /// The job `record` builds and the specs to run it, as this machine's
    /// files define it; when they do not define it as it was queued, the
    /// files are read again first (a job added or changed since the start).
    private func definition(of record: BuildRecord)
        -> Result<(Job, RunSpecBuilder), DefinitionProblem>
    {
        var (known, builder) = cond.withLock { (jobs, specs) }
        var unreadable = ""
        if known[record.job]?.definitionHash != record.configHash, let reloadJobs {
            do {
                known = try reloadJobs()
                builder = RunSpecBuilder(jobs: known, environment: options.environment)
                cond.withLock { (jobs, specs) = (known, builder) }
            } catch let errors as ConfigErrors {
                let first = errors.errors.first?.message ?? "\(errors)"
                unreadable = " (its job files do not load: \(first))"
            } catch {
                unreadable = " (its job files do not load: \(error))"
            }
        }
        guard let job = known[record.job] else {
            return .failure(
                DefinitionProblem(
                    message: "job '\(record.job)' is not defined on this worker\(unreadable)"))
        }
        guard job.definitionHash == record.configHash else {
            return .failure(
                DefinitionProblem(message: "definition differs on this worker\(unreadable)"))
        }
        return .success((job, builder))
    }

    /// Checks the definition, takes the job's lock, judges the job again
    /// when another jcrun held the lock, then `runProcess`.
    private func run(
        _ claimed: ClaimedBuild, runControl: RunControl, claimedAt: Date, latency: LatencyBox,
        start: StartRecord
    ) -> Ending {
        let record = claimed.build
        // The job as this worker's copy of the project defines it.
        let job: Job
        let specs: RunSpecBuilder
        switch definition(of: record) {
        case .success(let found): (job, specs) = found
        case .failure(let problem):
            return .result(
                BuildResult(
                    status: .failed, failureKind: .startFailed, exitCode: 126,
                    error: problem.message))
        }

        // The job's lock, held from the claim to the end: a local run of the
        // job on any machine holds it until its build ends. Held elsewhere
        // at the claim, that run may have brought the job up to date.
        if !claimed.jobLocked {
            if let refused = waitForJobLock(record, runControl: runControl) { return .result(refused) }
            if let check = judgeAgain(record, job: job, pins: claimed.pins) { return .upToDate(check) }
        }
        return .result(
            runProcess(
                claimed, job: job, specs: specs, runControl: runControl, claimedAt: claimedAt,
                latency: latency, start: start))
    }

    /// Records the inputs and runs the process; the result to store.
    private func runProcess(
        _ claimed: ClaimedBuild, job: Job, specs: RunSpecBuilder, runControl: RunControl,
        claimedAt: Date, latency: LatencyBox, start: StartRecord
    ) -> BuildResult {
        let record = claimed.build

        // What it consumes: each dependency's latest successful build (the
        // claim brought the job's own previous value; no dependencies, no
        // round trip). The inputs are stored with the start, in one round trip.
        var consumed: [JobID: BuildRecord] = [:]
        var inputs: [BuildInput] = []
        let previous = claimed.previousRetval
        if !job.dependencies.isEmpty {
            do {
                // Pinned dependencies (`--pin`) consume the build queued with them.
                let pins = claimed.pins.filter { job.dependencies.contains($0.key) }
                let latestOf = job.dependencies.filter { pins[$0] == nil }
                let (latest, pinned) = try control.sync { queue in
                    (
                        latestOf.isEmpty ? [:] : try queue.latestSuccessful(of: latestOf),
                        pins.isEmpty ? [:] : try queue.records(of: Array(pins.values))
                    )
                }
                for dep in job.dependencies {
                    let build: BuildRecord
                    if let id = pins[dep] {
                        guard let pin = pinned[id], pin.job == dep, pin.status == .successful else {
                            return BuildResult(
                                status: .failed, failureKind: .startFailed, exitCode: 126,
                                error: "pinned build #\(id) of '\(dep)' is no longer a successful build")
                        }
                        build = pin
                    } else {
                        guard let found = latest[dep] else { continue }
                        build = found
                    }
                    consumed[dep] = build
                    inputs.append(
                        BuildInput(
                            build: record.id, dependency: dep, consumed: build.id,
                            retval: build.retval, pinned: pins[dep] != nil))
                }
            } catch {
                return BuildResult(
                    status: .failed, failureKind: .startFailed, exitCode: 126,
                    error: "cannot read the dependencies' builds: \(error)")
            }
        }

        // The process, its events into the store.
        let spec: RunSpec
        do {
            let made = try specs.spec(
                for: job, build: record.id, attempt: record.attempt, consumed: consumed,
                previousRetval: previous)
            spec = made.spec
            for warning in made.warnings {
                recorder.log(record.id, stream: .jcrun, level: .warning, text: warning)
            }
        } catch {
            return BuildResult(
                status: .failed, failureKind: .startFailed, exitCode: 126, error: "\(error)")
        }
        // The start is written `Worker.startDelay` after the process runs (off
        // the runner's event thread, which reads its output), unless the build
        // ends first: then it goes with the end, in the same round trip, and
        // a short build costs two round trips (end-and-claim, and nothing else).
        let outcome = launcher.run(spec, control: runControl) {
            [recorder, onEvent, inputs, starts] event in
            if case .started(let pid) = event {
                let now = Date()
                latency.set(now.timeIntervalSince(claimedAt))
                start.set(BuildStart(at: now, processGroup: pid, inputs: inputs))
                starts.schedule {
                    guard let pending = start.takeForWrite() else { return }
                    defer { start.written() }
                    do {
                        try recorder.withStore { store in
                            try (store as? BuildQueue)?.startClaimed(
                                record.id, at: pending.at, processGroup: pending.processGroup,
                                inputs: pending.inputs)
                        }
                    } catch {
                        onEvent(
                            .problem("cannot record the start of build #\(record.id): \(error)"))
                    }
                }
            }
            recorder.record(event, of: record.id)
        }
        return Scheduler.result(of: outcome)
    }
}

extension Worker {
    /// A second look at a claimed build's job once its lock, held by
    /// another jcrun at the claim, is this worker's: the job and its
    /// dependencies as the store holds them now, judged as the planner
    /// would (`Scheduler.recheck` in a local run). Dependencies count with
    /// their latest successful builds, whoever made them (a queued
    /// dependency's build is one of them). Requested, forced,
    /// `--with-revdeps` and pinned builds are built regardless, and so is
    /// any build when the store cannot be read.
    ///
    /// Returns the job's newest successful-or-skipped build when the job
    /// is up to date, nil to build.
    func judgeAgain(_ record: BuildRecord, job: Job, pins: [JobID: BuildID]) -> BuildID? {
        guard pins.isEmpty, Self.isJudgedAgain(reason: record.reason) else { return nil }
        let jobs = cond.withLock { self.jobs }
        guard let states = try? control.sync({ try $0.jobStates([job.id] + job.dependencies) }),
            let check = states[job.id]?.lastCheck
        else { return nil }
        let verdict = Outdatedness.of(
            job, jobs: jobs, states: states, pins: [:], now: Date(), inPlan: { _ in false })
        return verdict == .upToDate ? check.id : nil
    }

    /// Whether a build queued for `reason` (`BuildReason.description`) is
    /// judged again: not one the planner chose whatever the job's state.
    static func isJudgedAgain(reason: String) -> Bool {
        if reason == BuildReason.requested.description || reason == BuildReason.forced.description {
            return false
        }
        return !(reason.hasPrefix("depends on '") && reason.hasSuffix("', which is rebuilt"))
    }

    /// Waits until this worker holds `job`'s lock (another process builds
    /// the job); nil then, or the result when the build is interrupted meanwhile.
    func waitForJobLock(_ record: BuildRecord, runControl: RunControl) -> BuildResult? {
        let job = record.job
        var reported = false
        while true {
            do {
                if try control.sync({ try $0.tryLockJob(job) }) { return nil }
            } catch {
                return BuildResult(
                    status: .failed, failureKind: .startFailed, exitCode: 126,
                    error: "cannot take the lock of job '\(job)': \(error)")
            }
            if runControl.requestedSignal != nil {
                return BuildResult(
                    status: .failed, failureKind: .interrupted,
                    error: "interrupted while another jcrun was building job '\(job)'")
            }
            if !reported {
                onEvent(.waitingForLock(record))
                reported = true
            }
            usleep(50_000)
        }
    }
}

/// A claimed build's start, written either `Worker.startDelay` after the
/// process runs or with the build's end, whichever comes first, never both.
final class StartRecord: @unchecked Sendable {
    private enum State {
        case none
        case pending(BuildStart)
        case writing
        case done
    }

    private let cond = NSCondition()
    private var state = State.none

    /// The process runs.
    func set(_ start: BuildStart) { cond.withLock { state = .pending(start) } }

    /// The delayed write takes the start, unless the end took it.
    func takeForWrite() -> BuildStart? {
        cond.withLock {
            guard case .pending(let start) = state else { return nil }
            state = .writing
            return start
        }
    }

    func written() {
        cond.withLock {
            state = .done
            cond.broadcast()
        }
    }

    /// At the end: the start when it was not written (it goes with the
    /// end), nil when it was; waits for a write under way, so that the end
    /// is never stored before the start.
    func takeForEnd() -> BuildStart? {
        cond.withLock {
            while case .writing = state { cond.wait() }
            guard case .pending(let start) = state else {
                state = .done
                return nil
            }
            state = .done
            return start
        }
    }
}

/// The queue store, used by one thread at a time.
final class QueueGate: @unchecked Sendable {
    private let lock = NSLock()
    private let queue: BuildQueue

    init(_ queue: BuildQueue) { self.queue = queue }

    func sync<T>(_ body: (BuildQueue) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(queue)
    }
}

/// One value set from the runner's event thread and read after the run.
final class LatencyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: TimeInterval?

    func set(_ value: TimeInterval) { lock.withLock { if stored == nil { stored = value } } }

    var value: TimeInterval? { lock.withLock { stored } }
}
