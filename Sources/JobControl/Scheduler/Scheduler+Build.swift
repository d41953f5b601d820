import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Scheduler {
    /// One job's turn on a worker thread: its lock, then its attempts.
    func execute(_ index: Int) -> JobEnd {
        let slot = cond.withLock { slots[index] }

        // The job's lock, and a second look at the job after waiting for it.
        var held: JobLock?
        if lockDirectoryPath != nil || options.sharedLocks != nil {
            switch acquireLock(for: slot.job.id, in: lockDirectoryPath) {
            case .acquired(let lock, let waited):
                held = lock
                if waited && isUpToDateNow(slot) { return .upToDate }
            case .notObtained:
                cond.withLock { lockNotObtained = true }
                guard case .wait = options.lockWait else {
                    return .notRun("another jcrun is building it (--no-wait)")
                }
                return .notRun("another jcrun is still building it (--lock-timeout)")
            case .interrupted:
                return .notRun("interrupted")
            case .failed(let message):
                cond.withLock { errors.append(message) }
                return .notRun("lock not obtained")
            }
        }
        defer { held?.release() }

        // Attempts: retried kinds again after `retry_delay`, up to `retries` more.
        let definition = (snapshot: slot.job.buildSnapshotJSON(), hash: slot.job.definitionHash)
        var attempt = 1
        while true {
            let (end, kind) = runAttempt(slot, index: index, attempt: attempt, definition: definition)
            guard case .failed = end, let kind, kind.isRetried, attempt <= slot.job.retries,
                waitBeforeRetry(seconds: slot.job.retryDelay)
            else { return end }
            attempt += 1
        }
    }

    // MARK: Locks

    enum LockAttempt {
        case acquired(JobLock, waited: Bool)
        case notObtained
        case interrupted
        case failed(String)
    }

    /// The lock file in `directory`, or else the store's shared lock.
    private func acquireLock(for job: JobID, in directory: String?) -> LockAttempt {
        let lock: JobLock
        do {
            if let directory {
                lock = try JobLock(directoryPath: directory, job: job)
            } else if let shared = options.sharedLocks {
                lock = JobLock(shared: shared, job: job)
            } else {
                return .failed("no lock for job '\(job)'")
            }
            if try lock.tryLockOrThrow() { return .acquired(lock, waited: false) }
        } catch {
            return .failed("\(error)")
        }
        guard case .wait(let timeout) = options.lockWait else { return .notObtained }
        observer.send { $0.waitingForLock(job) }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let stop: Bool = cond.withLock {
                if interruptedBy == nil { _ = cond.wait(until: min(deadline, Date().addingTimeInterval(0.05))) }
                return interruptedBy != nil
            }
            if stop { return .interrupted }
            if lock.tryLock() { return .acquired(lock, waited: true) }
            if Date() >= deadline { return .notObtained }
        }
    }

    /// After waiting for another process's build: re-reads the job's state
    /// and finds it up to date unless it was requested, forced or a reverse dependency.
    private func isUpToDateNow(_ slot: Slot) -> Bool {
        switch slot.planned.reason {
        case .requested, .forced, .reverseDependency: return false
        default: break
        }
        let ids = [slot.job.id] + slot.job.dependencies
        guard let fresh = try? recorder.withStore({ try $0.jobStates(ids) }) else { return false }
        let (merged, pins): ([JobID: JobState], [JobID: BuildRecord]) = cond.withLock {
            for id in ids { states[id] = fresh[id] }
            var pins: [JobID: BuildRecord] = [:]
            for (dep, build) in slot.planned.pins { pins[dep] = pinned[build] }
            return (states, pins)
        }
        let verdict = Outdatedness.of(
            slot.job, jobs: jobs, states: merged, pins: pins, now: Date(), inPlan: { _ in false })
        return verdict == .upToDate
    }

    private func waitBeforeRetry(seconds: Seconds) -> Bool {
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        return cond.withLock {
            while interruptedBy == nil && Date() < deadline { _ = cond.wait(until: deadline) }
            return interruptedBy == nil
        }
    }

    // MARK: One attempt

    /// Creates the build row, starts the process, streams its events and
    /// stores the result. Returns how it ended and the failure kind.
    // TODO(#4): a build still costs two SQLite write transactions (11 pages)
    // and a process start with three pipes, about +0.3 ms of CPU per job over
    // a shell loop; writing one build's end in the transaction that creates
    // the next would need the job's lock held until that write.
    private func runAttempt(
        _ slot: Slot, index: Int, attempt: Int, definition: (snapshot: String, hash: String)
    ) -> (JobEnd, FailureKind?) {
        let job = slot.job

        // The builds this attempt consumes: built in this run, pinned, or the latest successful.
        let (consumed, previous, stopped): ([JobID: BuildRecord], String?, Bool) = cond.withLock {
            var consumed: [JobID: BuildRecord] = [:]
            for dep in job.dependencies {
                let pin = slot.planned.pins[dep].flatMap { pinned[$0] }
                consumed[dep] = pin ?? builtInRun[dep] ?? states[dep]?.latestSuccessful
            }
            let previous = (builtInRun[job.id] ?? states[job.id]?.latestSuccessful)?.retval
            return (consumed, previous, interruptedBy != nil)
        }
        if stopped { return (.notRun("interrupted"), nil) }
        let inputs = job.dependencies.compactMap { dep in
            consumed[dep].map {
                BuildInput(
                    build: 0, dependency: dep, consumed: $0.id, retval: $0.retval,
                    pinned: slot.planned.pins[dep] != nil)
            }
        }

        // The row.
        let new = NewBuild(
            job: job.id, trigger: options.trigger, reason: slot.planned.reason.description,
            attempt: attempt, configSnapshot: definition.snapshot, configHash: definition.hash,
            inputs: inputs)
        var record: BuildRecord
        do {
            record = try recorder.createBuild(new)
        } catch {
            return (storeFailed("cannot create a build of '\(job.id)': \(error)"), nil)
        }
        record.startedAt = Date()
        let startIndex: Int = cond.withLock {
            started.append(record)
            return started.count - 1
        }
        observer.send { $0.buildStarted(record, job: job) }

        // The process.
        let outcome: RunOutcome
        let sink = BuildEventSink(record: record, recorder: recorder, observer: observer, runner: thisProcess)
        do {
            let (spec, warnings) = try specs.spec(
                for: job, build: record.id, attempt: attempt, consumed: consumed, previousRetval: previous)
            for warning in warnings { sink.note(.warning, warning) }
            outcome = launch(spec, index: index, sink: sink)
        } catch {
            outcome = RunOutcome(termination: .startFailed(code: 126, message: "\(error)"))
        }

        // The result.
        let result = Self.result(of: outcome)
        do {
            try recorder.finishBuild(record.id, result: result)
        } catch {
            cond.withLock { errors.append("cannot finish build #\(record.id): \(error)") }
        }
        record.apply(result, at: Date())
        cond.withLock { started[startIndex] = record }
        observer.send { $0.buildFinished(record) }
        switch result.status {
        case .successful: return (.succeeded(record), nil)
        case .skipped: return (.skipped, nil)
        default: return (.failed, result.failureKind)
        }
    }

    private func launch(_ spec: RunSpec, index: Int, sink: BuildEventSink) -> RunOutcome {
        let control = RunControl()
        let pending: Int32? = cond.withLock {
            controls[index] = control
            return interruptedBy
        }
        if let pending { control.interrupt(signal: pending) }
        let outcome = launcher.run(spec, control: control) { sink.handle($0) }
        cond.withLock { controls[index] = nil }
        return outcome
    }

    private func storeFailed(_ message: String) -> JobEnd {
        cond.withLock { errors.append(message) }
        return .notRun("store failed")
    }

    /// The store's view of an attempt's end (PROTOCOL.md, "Outcome of a build").
    static func result(of outcome: RunOutcome) -> BuildResult {
        switch outcome.termination {
        case .exited(0) where outcome.skipped:
            return BuildResult(status: .skipped, exitCode: 0, error: outcome.skipReason)
        case .exited(0):
            return BuildResult(status: .successful, exitCode: 0, retval: outcome.retval)
        case .exited(let code):
            return BuildResult(status: .failed, failureKind: .exit, exitCode: code)
        case .signaled(_, let name):
            return BuildResult(status: .failed, failureKind: .signal, signal: name)
        case .timedOut(let after):
            return BuildResult(status: .failed, failureKind: .timeout, error: "timed out after \(after)s")
        case .interrupted(let signal):
            let name = SignalName.of(signal)
            return BuildResult(
                status: .failed, failureKind: .interrupted, signal: name, error: "interrupted by \(name)")
        case .startFailed(let code, let message):
            return BuildResult(status: .failed, failureKind: .startFailed, exitCode: code, error: message)
        }
    }

}

extension BuildRecord {
    /// The record as `finishBuild(result)` leaves it.
    mutating func apply(_ result: BuildResult, at time: Date) {
        status = result.status
        failureKind = result.failureKind
        exitCode = result.exitCode
        signal = result.signal
        error = result.error
        retval = result.status == .successful ? result.retval : nil
        finishedAt = time
    }
}

/// This process as the runner of builds, read once (the group is set per build).
private let thisProcess = RunnerLiveness.currentRunnerIdentity()
