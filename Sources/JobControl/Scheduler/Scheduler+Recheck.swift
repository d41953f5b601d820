import Foundation

extension Scheduler {
    /// Where a job's state stands against the store, as its lock is taken.
    struct Freshness {
        /// Of the job and its dependencies, those whose state may miss what
        /// another process committed since it was read.
        var stale: [JobID]
        /// The generation a re-read of `stale` is current for.
        var generation: Int
        /// Some of them were read again in this run already.
        var refreshed: Bool

        var needsLook: Bool { !stale.isEmpty || refreshed }
    }

    /// A second look at a planned job once its lock is held: whether it is
    /// still to be built, decided from the store as it is now.
    ///
    /// The plan was made from the store's state when the run began; by the
    /// time a job's lock is held, another jcrun may have built it or its
    /// dependencies (whether this run waited for the lock or took it just
    /// after the other released it). So whenever the store changed through
    /// another process since the states of the job and its dependencies
    /// were read (`BuildStore.othersChangeCounter`, one cheap read per
    /// build; a store that cannot tell is read again each time a turn
    /// starts here, which on PostgreSQL is only a worker thread's first
    /// turn, or one whose hand-over write found the job's stamps changed:
    /// `handoffCheck`), or after waiting, they are read again and the job
    /// judged as the planner would, counting the dependencies built in
    /// this run as rebuilt.
    /// Requested, forced and `--with-revdeps` builds are built regardless.
    ///
    /// Returns nil to build (the slot's reason updated to the one found),
    /// or how the job's turn ends: up to date.
    func recheck(_ index: Int, waited: Bool) -> JobEnd? {
        let slot = cond.withLock { slots[index] }
        guard Self.isRechecked(slot.planned.reason) else { return nil }
        let ids = [slot.job.id] + slot.job.dependencies
        let look = freshness(of: ids)
        guard waited || look.needsLook else { return nil }
        let before = cond.withLock { states[slot.job.id]?.lastCheck?.id }
        if !look.stale.isEmpty {
            guard let fresh = try? recorder.withStore({ try $0.jobStates(look.stale) }) else { return nil }
            cond.withLock {
                for id in look.stale {
                    states[id] = fresh[id]
                    readGeneration[id] = max(readGeneration[id] ?? 0, look.generation)
                }
            }
        }
        return cond.withLock { () -> JobEnd? in
            var pins: [JobID: BuildRecord] = [:]
            for (dep, build) in slot.planned.pins { pins[dep] = pinned[build] }
            let verdict = Outdatedness.of(
                slot.job, jobs: jobs, states: states, pins: pins, now: Date(),
                inPlan: { builtInRun[$0] != nil })
            let reason: BuildReason
            switch verdict {
            case .outdated(let found):
                reason = found
            case .onlyDependencies(let found, let condition) where anyChanged(condition):
                reason = found
            case .upToDate, .onlyDependencies:
                guard let check = states[slot.job.id]?.lastCheck?.id, check != before else {
                    return .upToDate
                }
                return .builtMeanwhile(check)
            }
            slots[index].planned.reason = reason
            return nil
        }
    }

    /// What the write that ends a worker's build and creates `index`'s row
    /// (its lock held) must check first.
    enum HandoffCheck {
        /// Nothing: the job is built whatever the store says.
        case none
        /// The job needs `recheck` (a state known stale or read again, or a
        /// store that cannot tell): it starts as any turn, not in that write.
        case look
        /// The write creates the row only if no other process committed
        /// since the store's `othersChangeCounter()` gave this.
        case ifUnchanged(Int64)
        /// The write creates the row only if the job and its dependencies
        /// stand in the store as these stamps say (a store without the
        /// counter, `BuildStore.checksStatesInWrite`).
        case ifStatesAre([JobStamp])
    }

    /// This run's builds of one job, by id (`Scheduler.ownBuilds`).
    struct OwnBuilds {
        var latest: BuildID = 0
        var successful: BuildID?
        /// The newest successful or skipped one.
        var check: BuildID?

        mutating func note(_ build: BuildID, _ status: BuildStatus) {
            latest = max(latest, build)
            if status == .successful { successful = max(successful ?? build, build) }
            if status == .successful || status == .skipped { check = max(check ?? build, build) }
        }
    }

    /// Notes this run's build `record` as created, running or ended; the
    /// caller holds `cond`.
    func noteOwn(_ record: BuildRecord) {
        ownBuilds[record.job, default: OwnBuilds()].note(record.id, record.status)
    }

    /// What the store holds for `job` unless another process built or
    /// queued it since `states` were read: their stamp with this run's
    /// builds applied. The caller holds `cond`.
    private func expectedStamp(_ job: JobID) -> JobStamp {
        var stamp = JobStamp(job: job, state: states[job])
        guard let own = ownBuilds[job] else { return stamp }
        stamp.apply(own.latest, .created)
        if let successful = own.successful { stamp.apply(successful, .successful) }
        if let check = own.check { stamp.apply(check, .skipped) }
        return stamp
    }

    /// `HandoffCheck` for `index`, from what this run knows (no store read).
    func handoffCheck(_ index: Int) -> HandoffCheck {
        cond.withLock {
            let job = slots[index].job
            guard Self.isRechecked(slots[index].planned.reason) else { return .none }
            guard let counter = viewCounter else {
                guard statesInWrite else { return .look }
                // Exact for these jobs: only a state read again (the plan may
                // differ from it) or another process's running build needs a look.
                var expected: [JobStamp] = []
                for id in [job.id] + job.dependencies {
                    let stamp = expectedStamp(id)
                    if readGeneration[id] != nil || stamp.isRunning { return .look }
                    expected.append(stamp)
                }
                return .ifStatesAre(expected)
            }
            // No state was found stale yet (the usual run): nothing to look at.
            if viewGeneration == 0 { return .ifUnchanged(counter) }
            for id in [job.id] + job.dependencies {
                let read = readGeneration[id]
                if read != nil || viewGeneration > 0 && (read ?? 0) < viewGeneration { return .look }
            }
            return .ifUnchanged(counter)
        }
    }

    /// Reads the store's counter of other processes' commits and compares
    /// it with the one `states` are current for.
    private func freshness(of ids: [JobID]) -> Freshness {
        let counter: Int64? = (try? recorder.withStore { try $0.othersChangeCounter() }) ?? nil
        return cond.withLock {
            if counter == nil || counter != viewCounter {
                viewGeneration += 1
                viewCounter = counter
            }
            var look = Freshness(stale: [], generation: viewGeneration, refreshed: false)
            for id in ids {
                let read = readGeneration[id]
                if read != nil { look.refreshed = true }
                if (read ?? 0) < viewGeneration { look.stale.append(id) }
            }
            return look
        }
    }

    /// Builds the planner chose whatever the jobs' states: no second look.
    private static func isRechecked(_ reason: BuildReason) -> Bool {
        switch reason {
        case .requested, .forced, .reverseDependency: return false
        default: return true
        }
    }
}
