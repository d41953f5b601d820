import Foundation

/// Runs a plan with N worker threads: a build starts as soon as all its
/// dependencies in the plan succeeded or were skipped; builds go to the
/// store and to the observer; locks keep two jcrun processes from building
/// one job at once.
///
/// One `Scheduler` runs one plan. `interrupt(signal:)` may be called from
/// any thread (the CLI's signal handler) while `run` is going on.
public final class Scheduler: @unchecked Sendable {
    /// What to do when another process holds a job's lock.
    public enum LockWait: Sendable, Hashable {
        /// Wait up to this long (`--lock-timeout`), then re-plan the job.
        case wait(timeout: TimeInterval)
        /// `--no-wait`: leave the job and its dependents not run (exit 75).
        case noWait
    }

    public struct Options: Sendable {
        /// `-j N`.
        public var workers: Int
        /// `-k`: after a failure, independent builds go on.
        public var keepGoing: Bool
        /// Stored with each build: `cli`, `build-outdated`, `web`.
        public var trigger: String
        /// The `locks/` folder beside the state database; nil: no locking.
        public var lockDirectory: URL?
        public var lockWait: LockWait
        /// jcrun's own environment, the base of every build's.
        public var environment: [String: String]
        /// The store's job locks, which other machines see (PostgreSQL);
        /// used when `lockDirectory` is nil.
        public var sharedLocks: SharedJobLocks?

        public init(
            workers: Int = ProcessInfo.processInfo.activeProcessorCount, keepGoing: Bool = false,
            trigger: String = "cli", lockDirectory: URL? = nil,
            lockWait: LockWait = .wait(timeout: 3600),
            environment: [String: String] = ProcessInfo.processInfo.environment,
            sharedLocks: SharedJobLocks? = nil
        ) {
            self.sharedLocks = sharedLocks
            self.workers = workers
            self.keepGoing = keepGoing
            self.trigger = trigger
            self.lockDirectory = lockDirectory
            self.lockWait = lockWait
            self.environment = environment
        }
    }

    /// The `locks/` folder beside a state database file.
    public static func lockDirectory(besideDatabase database: URL) -> URL {
        database.deletingLastPathComponent().appendingPathComponent("locks", isDirectory: true)
    }

    /// Refuses, before anything runs, a `locks` path that is not a folder
    /// (each build would end `not run: lock not obtained`).
    ///
    /// - Throws: `StoreError.unreachable`.
    public static func checkLockDirectory(_ directory: URL) throws {
        var info = stat()
        guard stat(directory.path, &info) == 0 else { return }  // made at the first lock
        if info.st_mode & S_IFMT != S_IFDIR {
            throw StoreError.unreachable(
                path: directory.path, reason: "it is a file, not a folder; jcrun keeps its job locks in it")
        }
    }

    /// The file in `lockDirectory` that serializes `job`'s cleanups (`delete`,
    /// `prune`): two jcrun deleting one build run its cleanup once.
    public static func cleanupLockPath(in directory: URL, job: JobID) -> String {
        directory.appendingPathComponent("cleanup." + JobLock.fileName(for: job)).path
    }

    let jobs: JobSet
    let recorder: BuildRecorder
    /// True when this scheduler made the recorder (and closes it after the run).
    private let ownsRecorder: Bool
    let launcher: JobLauncher
    let observer: ObserverGate
    let options: Options
    let specs: RunSpecBuilder
    /// `options.lockDirectory`'s path, taken once.
    let lockDirectoryPath: String?

    /// Guards everything below, and wakes workers.
    let cond = NSCondition()
    var slots: [Slot] = []
    private var slotIndex: [JobID: Int] = [:]
    private var dependents: [[Int]] = []
    /// Indexes of ready slots; the smallest (earliest in the plan) starts first.
    private var ready = OrderedHeap<Int>()
    private var active = 0
    private var stopReason: String?
    var interruptedBy: Int32?
    private var interrupts = 0
    var controls: [Int: RunControl] = [:]
    /// Every build started, in start order; finished records replace started ones.
    var started: [BuildRecord] = []
    private var runLeftOut: [LeftOut] = []
    var lockNotObtained = false
    var errors: [String] = []
    var states: [JobID: JobState] = [:]
    var pinned: [BuildID: BuildRecord] = [:]
    /// The successful build of each job in this run.
    var builtInRun: [JobID: BuildRecord] = [:]
    /// The store's `othersChangeCounter()` that `states` are current for
    /// (nil: unknown, as with a store that cannot tell).
    var viewCounter: Int64?
    /// Bumped whenever the counter is found changed (or unknown): a state
    /// read at an older generation may miss another process's builds.
    var viewGeneration = 0
    /// The generation at which a job's state was read again in this run;
    /// absent: the state the plan was made from.
    var readGeneration: [JobID: Int] = [:]
    /// The store compares the jobs' stamps in the hand-over write
    /// (`BuildStore.checksStatesInWrite`): PostgreSQL, which has no counter.
    var statesInWrite = false
    /// This run's builds of each job, by id: with `states`, what the store
    /// holds for the job unless another process built it (`expectedStamp`).
    var ownBuilds: [JobID: OwnBuilds] = [:]
    /// Definitions worked out ahead (`prepareNext`), by slot, until taken.
    private var prepared: [Definition?] = []
    /// With one worker, the store is asked to keep the next build id
    /// reserved (`BuildStore.reservingBuildIDs`), so that a hand-over can
    /// start the next process before its write (`Scheduler.handOver`).
    var reservesBuildIDs = false

    /// One planned build and where it stands.
    struct Slot {
        var planned: PlannedBuild
        var job: Job
        var waitingOn: Int
        var phase: Phase
    }

    enum Phase: Equatable {
        case waiting, ready, running, succeeded, skipped, upToDate, failed
        case notRun(String)
    }

    /// How one job's turn ended.
    enum JobEnd {
        case succeeded(BuildRecord)
        case skipped
        case failed
        case upToDate
        /// Found up to date once its lock was held: another jcrun's build.
        case builtMeanwhile(BuildID)
        case notRun(String)
    }

    /// A scheduler writing through `recorder`, which the caller closes.
    public convenience init(
        jobs: JobSet, recorder: BuildRecorder, launcher: JobLauncher, observer: BuildObserver? = nil,
        options: Options = Options()
    ) {
        self.init(jobs: jobs, recorder: recorder, owns: false, launcher: launcher, observer: observer, options: options)
    }

    /// A scheduler writing to `store` through a recorder of its own.
    public convenience init(
        jobs: JobSet, store: BuildStore, launcher: JobLauncher, observer: BuildObserver? = nil,
        options: Options = Options()
    ) {
        self.init(
            jobs: jobs, recorder: BuildRecorder(store: store), owns: true, launcher: launcher,
            observer: observer, options: options)
    }

    private init(
        jobs: JobSet, recorder: BuildRecorder, owns: Bool, launcher: JobLauncher, observer: BuildObserver?,
        options: Options
    ) {
        self.jobs = jobs
        self.recorder = recorder
        self.ownsRecorder = owns
        self.launcher = launcher
        self.observer = ObserverGate(observer)
        self.options = options
        self.specs = RunSpecBuilder(jobs: jobs, environment: options.environment)
        self.lockDirectoryPath = options.lockDirectory?.path
    }

    /// Runs `plan` to the end and returns how it went (also given to the
    /// observer's `runFinished`).
    ///
    /// `states` are the job states the plan was made from; when nil they are
    /// read from the store. `storeCounter` is the store's
    /// `othersChangeCounter()` read before `states` were: without it, each
    /// job's state is read again as its lock is taken.
    public func run(
        _ plan: Plan, states given: [JobID: JobState]? = nil, storeCounter: Int64? = nil
    ) -> RunSummary {
        let startedAt = Date()
        observer.send { $0.planned(plan) }
        if given == nil {
            viewCounter = (try? recorder.withStore { try $0.othersChangeCounter() }) ?? nil
        } else {
            viewCounter = storeCounter
        }
        statesInWrite = (try? recorder.withStore { $0.checksStatesInWrite }) ?? false
        prepare(plan, states: given)
        // No more threads than builds can ever run at once: a chain with
        // `-j 2` runs as with `-j 1`, whose next process starts before its write.
        let workers = max(1, min(options.workers, slots.count, cond.withLock { widthBound() }))
        reservesBuildIDs = workers == 1 && slots.count > 1
        // No write: the first new row reserves the id after it.
        if reservesBuildIDs, (try? recorder.withStore({ try $0.reservingBuildIDs(true) })) == nil {
            reservesBuildIDs = false
        }
        let done = DispatchGroup()
        for _ in 0..<workers {
            done.enter()
            let thread = Thread { [self] in
                workerLoop()
                done.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        done.wait()
        LateClose.closeAll()
        // An id still held is given back by the store's next write that
        // ends a build, or as it closes.
        if reservesBuildIDs { stopReservingBuildIDs() }
        finishRecording()
        let summary = cond.withLock { summarize(plan, startedAt: startedAt) }
        observer.send { $0.runFinished(summary) }
        return summary
    }

    /// Stops the run: the first call passes `signal` to every running build
    /// and starts no new one; a second call kills the running builds at once.
    public func interrupt(signal: Int32) {
        let (toStop, first): ([RunControl], Bool) = cond.withLock {
            interrupts += 1
            if interruptedBy == nil { interruptedBy = signal }
            cond.broadcast()
            return (Array(controls.values), interrupts == 1)
        }
        for control in toStop { control.interrupt(signal: signal, immediately: !first) }
    }

    // MARK: The run's bookkeeping (all under `cond`)

    private func prepare(_ plan: Plan, states given: [JobID: JobState]?) {
        // Slots, and what each waits for.
        let builds = plan.builds.compactMap { build in jobs[build.job].map { (build, $0) } }
        cond.withLock {
            for (index, (planned, _)) in builds.enumerated() { slotIndex[planned.job] = index }
            dependents = Array(repeating: [], count: builds.count)
            prepared = Array(repeating: nil, count: builds.count)
            for (index, (planned, job)) in builds.enumerated() {
                let deps = job.dependencies.compactMap { slotIndex[$0] }
                for dep in deps { dependents[dep].append(index) }
                slots.append(Slot(planned: planned, job: job, waitingOn: deps.count, phase: .waiting))
            }
        }

        // What the store says, for the values builds consume.
        loadStates(plan, given: given)

        // Dependencies the plan could not provide stop what needs them, and
        // the whole run when it was asked for named jobs.
        cond.withLock {
            for out in plan.leftOut where out.why == .missingDependency || out.why == .protectedWithoutBuild {
                let why = "dependency '\(out.job)' has no successful build"
                var blocked = false
                for (index, slot) in slots.enumerated() where slot.job.dependencies.contains(out.job) {
                    blocked = blocked || slot.phase == .waiting
                    block(index, why: why)
                }
                if blocked && plan.namedTargets && !options.keepGoing && stopReason == nil {
                    stopReason = "stopped: \(why)"
                }
            }
            for index in slots.indices where slots[index].waitingOn == 0 && slots[index].phase == .waiting {
                if !makeReady(index) { release(index) }
            }
        }
    }

    private func loadStates(_ plan: Plan, given: [JobID: JobState]?) {
        var ids: Set<JobID> = []
        for build in plan.builds {
            ids.insert(build.job)
            ids.formUnion(jobs[build.job]?.dependencies ?? [])
        }
        do {
            let loaded = try given ?? recorder.withStore { try $0.jobStates(ids.sorted()) }
            var pins: [BuildID: BuildRecord] = [:]
            for build in Set(plan.builds.flatMap(\.pins.values)) {
                if let record = try recorder.withStore({ try $0.build(build) }) { pins[build] = record }
            }
            cond.withLock {
                states = loaded
                pinned = pins
            }
        } catch {
            cond.withLock {
                errors.append("cannot read the state of jobs: \(error)")
                stopReason = "stopped: the store failed"
            }
        }
    }

    /// Writes what the recorder still holds; its failures become run errors.
    private func finishRecording() {
        var problems: [String] = []
        do {
            try ownsRecorder ? recorder.close() : recorder.flush()
        } catch {
            problems.append("\(error)")
        }
        if let failure = recorder.takeFailure() { problems.append("\(failure)") }
        cond.withLock { errors += problems }
    }

    private func workerLoop() {
        cond.lock()
        while true {
            if let index = nextReady() {
                slots[index].phase = .running
                active += 1
                cond.unlock()
                // A turn hands over the next build when it took one (`conclude`).
                var next = execute(index, handoff: nil)
                while let handoff = next { next = execute(handoff.index, handoff: handoff) }
                cond.lock()
                continue
            }
            if active == 0 { break }
            cond.wait()
        }
        cond.broadcast()
        cond.unlock()
    }

    /// Ends a job's turn in the run's bookkeeping and wakes the workers.
    /// With `takeNext`, the next ready build is taken for the calling
    /// worker (as running) and returned, so that its row can be created in
    /// the write that ends this one.
    ///
    /// When the caller took the only ready build, no one is woken: an idle
    /// worker would find nothing to do (a chain with `-j 2` woke one for
    /// nothing at every build) and none can be waiting to exit while this
    /// worker is active. Interrupts wake the workers themselves.
    @discardableResult
    func conclude(_ index: Int, _ end: JobEnd, takeNext: Bool = false) -> Int? {
        cond.lock()
        defer { cond.unlock() }
        active -= 1
        finish(index, end)
        guard takeNext, let next = nextReady() else {
            cond.broadcast()
            return nil
        }
        slots[next].phase = .running
        active += 1
        if !ready.isEmpty { cond.broadcast() }
        return next
    }

    /// While build `index`'s process runs: works out the definition of the
    /// build this worker is likely to take next (the first ready one, or a
    /// dependent waiting only for `index`), so that the hand-over after
    /// `index` ends need not (issue #4). The definition depends on the job
    /// alone, so a guess that another worker takes costs nothing but time.
    func prepareNext(after index: Int) {
        let candidate: (index: Int, job: Job)? = cond.withLock {
            if let top = ready.first, slots[top].phase == .ready, prepared[top] == nil {
                return (top, slots[top].job)
            }
            for dependent in dependents[index]
            where slots[dependent].phase == .waiting && slots[dependent].waitingOn == 1
                && prepared[dependent] == nil
            {
                return (dependent, slots[dependent].job)
            }
            return nil
        }
        guard let candidate else { return }
        let definition = Self.definition(of: candidate.job)
        cond.withLock { prepared[candidate.index] = definition }
    }

    /// The most builds of the plan that can ever be ready or running at
    /// once: the slots waiting for none, plus one for each dependent beyond
    /// the first of every slot (a build that ends makes ready at most its
    /// dependents, and takes its own place). Under `cond`.
    func widthBound() -> Int {
        var bound = 0
        for index in slots.indices {
            if slots[index].waitingOn == 0 { bound += 1 }
            bound += max(0, dependents[index].count - 1)
        }
        return bound
    }

    /// Tells the store to keep no id reserved after the current one: the
    /// write that ends this worker's last build gives it back (no write here).
    func stopReservingBuildIDs() {
        _ = try? recorder.withStore { try $0.reservingBuildIDs(false) }
    }

    /// Slot `index` and the definition `prepareNext` made for it, if any
    /// (taken: it is not kept).
    func slotAndPrepared(_ index: Int) -> (Slot, Definition?) {
        cond.withLock {
            let definition = prepared[index]
            prepared[index] = nil
            return (slots[index], definition)
        }
    }

    private func nextReady() -> Int? {
        guard stopReason == nil, interruptedBy == nil else { return nil }
        while let index = ready.pop() {
            if slots[index].phase == .ready { return index }  // else blocked since
        }
        return nil
    }

    private func finish(_ index: Int, _ end: JobEnd) {
        let id = slots[index].job.id
        switch end {
        case .succeeded(let record):
            slots[index].phase = .succeeded
            builtInRun[id] = record
            release(index)
        case .skipped:
            slots[index].phase = .skipped
            release(index)
        case .upToDate:
            slots[index].phase = .upToDate
            runLeftOut.append(LeftOut(job: id, why: .upToDate))
            release(index)
        case .builtMeanwhile(let build):
            slots[index].phase = .upToDate
            runLeftOut.append(LeftOut(job: id, why: .builtMeanwhile(build)))
            release(index)
        case .failed:
            slots[index].phase = .failed
            guard interruptedBy == nil else { break }  // dependents end "interrupted"
            for dependent in dependents[index] { block(dependent, why: "dependency '\(id)' failed") }
            if !options.keepGoing && stopReason == nil { stopReason = "stopped after a failure" }
        case .notRun(let why):
            slots[index].phase = .notRun(why)
            for dependent in dependents[index] { block(dependent, why: "dependency '\(id)' was not run") }
        }
    }

    /// A dependency of `index` is done and left a build to consume.
    ///
    /// A depth-first walk on an explicit stack, in the order a recursion
    /// would take: a chain of jobs found up to date can be thousands deep,
    /// more than a worker thread's stack holds.
    private func release(_ index: Int) {
        var stack: [(index: Int, next: Int)] = [(index, 0)]
        while let (released, next) = stack.last {
            guard next < dependents[released].count else {
                stack.removeLast()
                continue
            }
            stack[stack.count - 1].next += 1
            let dependent = dependents[released][next]
            guard slots[dependent].phase == .waiting else { continue }
            slots[dependent].waitingOn -= 1
            if slots[dependent].waitingOn == 0, !makeReady(dependent) {
                stack.append((dependent, 0))
            }
        }
    }

    /// Queues `index`, unless its only reasons are dependencies that brought
    /// no new value: then it is up to date, and so may be its dependents,
    /// which the caller releases. Returns whether `index` was queued.
    private func makeReady(_ index: Int) -> Bool {
        if let condition = slots[index].planned.condition, !anyChanged(condition) {
            slots[index].phase = .upToDate
            runLeftOut.append(LeftOut(job: slots[index].job.id, why: .upToDate))
            return false
        }
        slots[index].phase = .ready
        ready.push(index)
        return true
    }

    /// Whether a dependency of `condition` ended with a new value: a
    /// successful build, whose value differs from the one consumed last
    /// when the dependency has `early_cutoff`. A dependency whose state was
    /// read again in this run (another jcrun built it meanwhile) counts
    /// with its latest successful build in the store.
    func anyChanged(_ condition: RebuildCondition) -> Bool {
        condition.dependencies.contains { dep in
            guard let index = slotIndex[dep] else { return true }
            guard slots[index].phase == .succeeded, let build = builtInRun[dep] else {
                guard readGeneration[dep] != nil, let latest = states[dep]?.latestSuccessful else {
                    return false
                }
                guard let consumed = condition.consumed[dep] else { return true }
                if latest.id == consumed.consumed { return false }
                return !(slots[index].job.earlyCutoff && latest.retval == consumed.retval)
            }
            guard slots[index].job.earlyCutoff, let consumed = condition.consumed[dep] else { return true }
            return build.retval != consumed.retval
        }
    }

    /// Marks `index` and everything that needs it not run. A depth-first
    /// walk on an explicit stack (dependents pushed in reverse, so they are
    /// marked in the order a recursion would take): a failure at the bottom
    /// of a chain thousands deep must not overflow a worker thread's stack.
    /// The store failed to record something (a full disk): no new build
    /// starts, whatever `-k` says; running ones end as they would.
    func stopForStoreFailure() {
        cond.withLock { if stopReason == nil { stopReason = "stopped: the store failed" } }
    }

    private func block(_ index: Int, why: String) {
        var stack: [(index: Int, why: String)] = [(index, why)]
        while let (blocked, why) = stack.popLast() {
            let phase = slots[blocked].phase
            guard phase == .waiting || phase == .ready else { continue }
            slots[blocked].phase = .notRun(why)
            let reason = "dependency '\(slots[blocked].job.id)' was not run"
            for dependent in dependents[blocked].reversed() { stack.append((dependent, reason)) }
        }
    }

    private func summarize(_ plan: Plan, startedAt: Date) -> RunSummary {
        var notRun: [(job: JobID, why: String)] = []
        for slot in slots {
            switch slot.phase {
            case .notRun(let why): notRun.append((slot.job.id, why))
            case .waiting, .ready:
                let why = interruptedBy != nil ? "interrupted" : stopReason ?? "not run"
                notRun.append((slot.job.id, why))
            default: break
            }
        }
        return RunSummary(
            builds: started, notRun: notRun, leftOut: plan.leftOut + runLeftOut,
            interruptedBy: interruptedBy, lockNotObtained: lockNotObtained, errors: errors,
            startedAt: startedAt, finishedAt: Date())
    }
}
