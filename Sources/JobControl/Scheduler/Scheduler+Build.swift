import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Scheduler {
    /// A build a worker took as its previous one ended (`conclude`), with
    /// its lock and first row when they could be had at once.
    struct Handoff {
        let index: Int
        /// The job's lock, held (nil without a lock folder).
        let lock: JobLock?
        let definition: Definition
        /// The first attempt's row, created in the write that ended the
        /// previous build; nil: the turn starts as any other (lock, row).
        let created: (record: BuildRecord, inputs: AttemptInputs)?
        /// The previous build's lock, released once this build's process
        /// started (its end is committed): closing it is off the path from
        /// one build's end to the next one's start (issue #4).
        var previousLock: JobLock? = nil
        /// Set instead of `created` when the process starts first, with the
        /// store's reserved id, and the previous build's end and this
        /// build's row are written once it runs (`DeferredStart`).
        var deferred: DeferredStart? = nil
    }

    /// A build whose process starts before its row is written (one worker,
    /// SQLite): the write that ends the previous build stores the row, with
    /// its process group, while the process starts (issue #5).
    ///
    /// The previous build's end is still committed before anything reads
    /// it: in that same write as the row of the build consuming it, before
    /// the observer hears of either and before the previous build's lock
    /// is released. A jcrun killed before the write leaves the previous
    /// build running (reaped as `runner_died`, as a kill a moment earlier
    /// would) and no row for the new one, whose process dies with jcrun
    /// (parent-death signal) as it starts; its reserved id stays unused.
    // TODO(#5): the process runs for about one write (0.1 ms) before its
    // row is stored: a job that looks its `JCRUN_BUILD_ID` up in the store at
    // once would not find it yet (jcrun's own start-up takes milliseconds).
    struct DeferredStart {
        let previous: BuildID
        let result: BuildResult
        let reservation: BuildReservation
        let inputs: AttemptInputs
    }

    /// A job's configuration snapshot and definition hash, stored with each build.
    typealias Definition = (snapshot: String, hash: String)

    /// What an attempt consumes, and the row that records it.
    struct AttemptInputs {
        let new: NewBuild
        let consumed: [JobID: BuildRecord]
        let previous: String?
    }

    /// How an attempt ended.
    enum AttemptEnd {
        /// Not yet in the run's bookkeeping: the turn may retry.
        case ended(JobEnd, FailureKind?)
        /// The turn is over and concluded; maybe with the worker's next build.
        case concluded(Handoff?)
    }

    /// One job's turn on a worker thread: its lock, then its attempts.
    /// Returns the next build the worker took, if it took one.
    func execute(_ index: Int, handoff: Handoff?) -> Handoff? {
        // Released after this build's process started, or else at the latest here.
        let previousLock = handoff?.previousLock
        defer { previousLock?.release() }
        let (first, prepared) = slotAndPrepared(index)
        var slot = first

        // The job's lock, and a second look at the job once it is held (`recheck`).
        var held: JobLock?
        if let handoff, handoff.created != nil || handoff.deferred != nil {
            held = handoff.lock
        } else if lockDirectoryPath != nil || options.sharedLocks != nil {
            switch acquireLock(for: slot.job.id, in: lockDirectoryPath) {
            case .acquired(let lock, let waited):
                held = lock
                if let end = recheck(index, waited: waited) { return endTurn(index, end) }
                slot = cond.withLock { slots[index] }
            case .notObtained:
                cond.withLock { lockNotObtained = true }
                guard case .wait = options.lockWait else {
                    return endTurn(index, .notRun("another jcrun is building it (--no-wait)"))
                }
                return endTurn(index, .notRun("another jcrun is still building it (--lock-timeout)"))
            case .interrupted:
                return endTurn(index, .notRun("interrupted"))
            case .failed(let message):
                cond.withLock { errors.append(message) }
                return endTurn(index, .notRun("lock not obtained"))
            }
        }
        // Released once the turn's last write is committed: by the next
        // build this worker took, once that one started.
        var handedOn = false
        defer { if !handedOn { held?.release() } }

        // Attempts: retried kinds again after `retry_delay`, up to `retries` more.
        let definition = handoff?.definition ?? prepared ?? Self.definition(of: slot.job)
        var created = handoff?.created
        var deferred = handoff?.deferred
        var attempt = 1
        while true {
            let ending = runAttempt(
                slot, index: index, attempt: attempt, definition: definition, created: created,
                deferred: deferred, previousLock: attempt == 1 ? previousLock : nil)
            created = nil
            deferred = nil
            switch ending {
            case .concluded(var next):
                if next != nil, let held {
                    next?.previousLock = held
                    handedOn = true
                }
                return next
            case .ended(let end, let kind):
                guard case .failed = end, let kind, kind.isRetried, attempt <= slot.job.retries,
                    waitBeforeRetry(seconds: slot.job.retryDelay)
                else { return endTurn(index, end) }
                attempt += 1
            }
        }
    }

    /// Concludes a turn that hands over nothing.
    private func endTurn(_ index: Int, _ end: JobEnd) -> Handoff? {
        observer.flush()
        conclude(index, end)
        return nil
    }

    static func definition(of job: Job) -> Definition {
        (snapshot: job.buildSnapshotJSON(), hash: job.definitionHash)
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

    private func waitBeforeRetry(seconds: Seconds) -> Bool {
        let deadline = Date().addingTimeInterval(TimeInterval(seconds))
        return cond.withLock {
            while interruptedBy == nil && Date() < deadline { _ = cond.wait(until: deadline) }
            return interruptedBy == nil
        }
    }

    // MARK: One attempt

    /// Creates the build row (unless `created`), starts the process,
    /// streams its events and stores the result.
    ///
    /// An attempt that will not be retried concludes the turn itself: it
    /// takes the worker's next ready build and, when that job's lock is
    /// free, creates its row in the transaction that ends this build (one
    /// write instead of two). This build's own lock is held until then, and
    /// its end is written at once, as before: no finished status waits.
    // With one worker on SQLite (also `-j N` on a plan no wider than one
    // build, a chain: `widthBound`) the next process starts first and that
    // write follows while it starts (`DeferredStart`).
    // TODO(#4): with more workers (and on PostgreSQL), between one build's
    // reap and the next one's start there is still one write transaction of
    // about 7 WAL pages (about 100 µs in a trace, with a checkpoint and its
    // two fdatasyncs every 140 builds); with one worker still the lock, the
    // spec and the three pipes (traced gap 85-88 µs against make's 45 µs).
    // Starting first with two workers (each taking a reserved id) was
    // measured and not kept: W1 -j 2 is CPU-bound, and the id's read and
    // reservation added CPU (+4%) for no wall time.
    private func runAttempt(
        _ slot: Slot, index: Int, attempt: Int, definition: Definition,
        created: (record: BuildRecord, inputs: AttemptInputs)?, deferred: DeferredStart?,
        previousLock: JobLock?
    ) -> AttemptEnd {
        let job = slot.job

        // The row: made with the previous build's end, or now, or (deferred)
        // once the process started.
        var record: BuildRecord
        let inputs: AttemptInputs
        if let created {
            (record, inputs) = created
        } else if let deferred {
            inputs = deferred.inputs
            let new = inputs.new
            // The time as the store keeps it (whole µs), so that the record is the row.
            let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1e6).rounded() / 1e6)
            record = BuildRecord(
                id: deferred.reservation.id, job: new.job, status: .running, attempt: new.attempt,
                reason: new.reason, trigger: new.trigger, configHash: new.configHash,
                configSnapshot: new.configSnapshot, createdAt: now, startedAt: now, runner: thisProcess)
        } else {
            guard let made = attemptInputs(slot, attempt: attempt, definition: definition) else {
                return .ended(.notRun("interrupted"), nil)
            }
            inputs = made
            do {
                record = try recorder.createBuild(inputs.new)
            } catch {
                return .ended(storeFailed("cannot create a build of '\(job.id)': \(error)"), nil)
            }
        }
        // The stored start (the row's), so the summary shows what is stored.
        if record.startedAt == nil { record.startedAt = Date() }
        let startIndex: Int = cond.withLock {
            started.append(record)
            noteOwn(record)
            return started.count - 1
        }
        // Rendered once the process started (or failed to), off the path
        // from the previous build's end to this start (issue #4).
        let announced = record
        observer.sendLater { $0.buildStarted(announced, job: job) }

        // The process.
        let outcome: RunOutcome
        // A deferred row: written as the process started (or failed to).
        let store = deferred.map { DeferredWrite($0, record: record) }
        // Once the process started, while it runs: what waited for it.
        let sink = BuildEventSink(
            record: record, recorder: recorder, observer: observer, runner: thisProcess,
            storeStarted: store.map { write in { [self] group in storeDeferred(write, group: group, index: index) } }
        ) { [self] in
            previousLock?.release()
            prepareNext(after: index)
        }
        do {
            let (spec, warnings) = try specs.spec(
                for: job, build: record.id, attempt: attempt, consumed: inputs.consumed,
                previousRetval: inputs.previous)
            // Its warnings go to the observer, which must not hear of the
            // previous build's end before it is stored.
            if !warnings.isEmpty, let store { storeDeferred(store, group: nil, index: index) }
            for warning in warnings { sink.note(.warning, warning) }
            if store?.failed == true {
                outcome = RunOutcome(termination: .startFailed(code: 126, message: "the store failed"))
            } else {
                outcome = launch(spec, index: index, sink: sink)
            }
        } catch {
            outcome = RunOutcome(termination: .startFailed(code: 126, message: "\(error)"))
        }
        // The end is the job's: writing its lines and its end may wait for
        // the store's lock, which is not the build's time. The summary and
        // the store both take this one.
        let endedAt = Date()
        if let store, !store.done { storeDeferred(store, group: nil, index: index) }  // never started
        previousLock?.release()  // when it never started

        // The result, once its lines are written (or failed to be).
        recorder.flushBeforeOutcome(of: record.id)
        if let store, store.failed {
            // Neither the previous end nor this row was stored: nothing to finish.
            let failed = BuildResult(
                status: .failed, failureKind: .storeFailed, error: "the store could not record its start")
            announceEnd(&record, failed, at: startIndex, later: false)
            return .ended(.notRun("store failed"), nil)
        }
        var result = storeChecked(Self.result(of: outcome))
        result.finishedAt = endedAt
        let retried =
            result.status == .failed && (result.failureKind?.isRetried ?? false)
            && attempt <= job.retries
        if retried {
            finish(record.id, result)
            announceEnd(&record, result, at: startIndex, later: false)
            return .ended(.failed, result.failureKind)
        }

        // The last attempt: the turn ends (the observer's call first, so
        // that no dependent is seen starting before it: a held call runs
        // before any later one), then the next build starts in the write
        // that stores this end, and the observer hears of both once it
        // started.
        announceEnd(&record, result, at: startIndex, later: true)
        let end: JobEnd
        switch result.status {
        case .successful: end = .succeeded(record)
        case .skipped: end = .skipped
        default: end = .failed
        }
        guard let next = conclude(index, end, takeNext: true) else {
            observer.flush()
            // One worker with nothing left: this write gives back the id held.
            if cond.withLock({ reservesBuildIDs }) { stopReservingBuildIDs() }
            finish(record.id, result)
            return .concluded(nil)
        }
        return .concluded(handOver(next, after: record.id, result))
    }

    /// A deferred row's write, done once (`storeDeferred`).
    final class DeferredWrite: @unchecked Sendable {
        let start: DeferredStart
        let record: BuildRecord
        var done = false
        var failed = false

        init(_ start: DeferredStart, record: BuildRecord) {
            self.start = start
            self.record = record
        }
    }

    /// Ends the previous build and stores `write`'s row (running, with
    /// `group`) in one write, as its process starts (or, with no group, as
    /// it failed to). When that write fails, the previous build is ended
    /// alone if it can be, the run stops for the store, and the process is
    /// killed: nothing may run that the store does not know of.
    private func storeDeferred(_ write: DeferredWrite, group: Int32?, index: Int) {
        var runner = thisProcess
        runner.processGroup = group
        guard !write.done else {
            // Stored before the start (its warnings): the group as for any build.
            if group != nil, !write.failed { recorder.noteStarted(write.record.id, runner: runner) }
            return
        }
        write.done = true
        let start = write.start
        do {
            _ = try recorder.finishBuild(
                start.previous, result: start.result, thenStoreStarted: start.inputs.new,
                as: start.reservation, runner: runner, startedAt: write.record.startedAt ?? Date())
        } catch {
            write.failed = true
            cond.withLock { errors.append("cannot store build #\(write.record.id) of '\(write.record.job)': \(error)") }
            finish(start.previous, start.result)
            stopForStoreFailure()
            let control: RunControl? = cond.withLock { controls[index] }
            control?.interrupt(signal: SIGKILL, immediately: true)
        }
    }

    /// Records `result` in `record` and tells the observer, at once or
    /// (`later`) with its next call.
    private func announceEnd(
        _ record: inout BuildRecord, _ result: BuildResult, at startIndex: Int, later: Bool
    ) {
        record.apply(result, at: result.finishedAt ?? Date())
        let finished = record
        cond.withLock {
            started[startIndex] = finished
            noteOwn(finished)
        }
        if later {
            observer.sendLater { $0.buildFinished(finished) }
        } else {
            observer.send { $0.buildFinished(finished) }
        }
    }

    /// Stores the end of build `id`; a failure is a run error, and no new
    /// build starts.
    private func finish(_ id: BuildID, _ result: BuildResult) {
        do {
            try recorder.finishBuild(id, result: result)
        } catch {
            cond.withLock { errors.append("cannot finish build #\(id): \(error)") }
            stopForStoreFailure()
        }
    }

    /// A build that ran while the store could not record (a full disk)
    /// left an incomplete record, so it is no success to build on: it
    /// fails `store_failed`, and no new build starts.
    private func storeChecked(_ result: BuildResult) -> BuildResult {
        guard let failure = recorder.currentFailure else { return result }
        stopForStoreFailure()
        guard result.status != .failed else { return result }
        return BuildResult(
            status: .failed, failureKind: .storeFailed, exitCode: result.exitCode,
            error: "the store could not record its output: \(failure)")
    }

    /// Ends build `id` and, when `next`'s lock is free, creates `next`'s
    /// first row in the same transaction; else (or when that write fails)
    /// ends `id` alone and leaves `next` to start as any turn does.
    private func handOver(_ next: Int, after id: BuildID, _ result: BuildResult) -> Handoff {
        let (slot, prepared) = slotAndPrepared(next)
        let definition = prepared ?? Self.definition(of: slot.job)
        let alone = Handoff(index: next, lock: nil, definition: definition, created: nil)
        var lock: JobLock?
        if let directory = lockDirectoryPath {
            guard let opened = try? JobLock(directoryPath: directory, job: slot.job.id),
                opened.tryLock()
            else {
                finish(id, result)
                return alone
            }
            lock = opened
        } else if let shared = options.sharedLocks {
            let opened = JobLock(shared: shared, job: slot.job.id)
            guard (try? opened.tryLockOrThrow()) == true else {
                finish(id, result)
                return alone
            }
            lock = opened
        }
        // `next` judged again (`recheck`) unless the store is as its plan saw it.
        var check = HandoffCheck.none
        if lock != nil {
            check = handoffCheck(next)
            if case .look = check {
                lock?.release()
                finish(id, result)
                return alone
            }
        }
        guard let inputs = attemptInputs(slot, attempt: 1, definition: definition) else {
            lock?.release()
            finish(id, result)
            return alone
        }
        if let reservation = startableFirst(check) {
            let deferred = DeferredStart(previous: id, result: result, reservation: reservation, inputs: inputs)
            return Handoff(index: next, lock: lock, definition: definition, created: nil, deferred: deferred)
        }
        do {
            let made: BuildRecord?
            switch check {
            case .ifUnchanged(let counter):
                made = try recorder.finishBuild(
                    id, result: result, thenCreate: inputs.new, ifOthersCounterIs: counter)
            case .ifStatesAre(let stamps):
                made = try recorder.finishBuild(id, result: result, thenCreate: inputs.new, ifStatesAre: stamps)
            case .none, .look:
                made = try recorder.finishBuild(id, result: result, thenCreate: inputs.new)
            }
            guard let record = made else {  // `id` ended alone: another process wrote
                lock?.release()
                return alone
            }
            return Handoff(index: next, lock: lock, definition: definition, created: (record, inputs))
        } catch {
            // SQLite stored neither; a store without the combined write may have ended `id`.
            lock?.release()
            if (try? recorder.finishBuild(id, result: result)) == nil {
                cond.withLock { errors.append("cannot finish build #\(id): \(error)") }
                stopForStoreFailure()
            }
            return alone
        }
    }

    /// The id reserved for the next build when its process may start
    /// before the write (`DeferredStart`): one worker, and no other process
    /// committed since the id was reserved (so it is still the newest id,
    /// and no other build of the job or its dependencies came meanwhile) nor
    /// since the run's view of the store (`check`, when the job is judged
    /// again). One `PRAGMA data_version` read.
    private func startableFirst(_ check: HandoffCheck) -> BuildReservation? {
        var expected: Int64?
        switch check {
        case .none: break
        case .ifUnchanged(let counter): expected = counter
        case .look, .ifStatesAre: return nil
        }
        guard cond.withLock({ reservesBuildIDs }) else { return nil }
        let found: (BuildReservation?, Int64?)? = try? recorder.withStore {
            ($0.reservedBuildID, try $0.othersChangeCounter())
        }
        guard let (held, counter) = found, let held, let counter, counter == held.counter,
            expected == nil || expected == counter
        else { return nil }
        return held
    }

    /// The builds an attempt of `slot` consumes (built in this run, pinned,
    /// or the latest successful) and its new row; nil once interrupted.
    private func attemptInputs(_ slot: Slot, attempt: Int, definition: Definition) -> AttemptInputs? {
        let job = slot.job
        let (consumed, previous, stopped): ([JobID: BuildRecord], String?, Bool) = cond.withLock {
            var consumed: [JobID: BuildRecord] = [:]
            for dep in job.dependencies {
                let pin = slot.planned.pins[dep].flatMap { pinned[$0] }
                consumed[dep] = pin ?? builtInRun[dep] ?? states[dep]?.latestSuccessful
            }
            let previous = (builtInRun[job.id] ?? states[job.id]?.latestSuccessful)?.retval
            return (consumed, previous, interruptedBy != nil)
        }
        if stopped { return nil }
        let inputs = job.dependencies.compactMap { dep in
            consumed[dep].map {
                BuildInput(
                    build: 0, dependency: dep, consumed: $0.id, retval: $0.retval,
                    pinned: slot.planned.pins[dep] != nil)
            }
        }
        let new = NewBuild(
            job: job.id, trigger: options.trigger, reason: slot.planned.reason.description,
            attempt: attempt, configSnapshot: definition.snapshot, configHash: definition.hash,
            inputs: inputs)
        return AttemptInputs(new: new, consumed: consumed, previous: previous)
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
        stopForStoreFailure()
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
