import Foundation

/// `--queue`: turns a plan into queue requests; `--wait`: follows the
/// queued builds (through their retries) to the end.
public enum QueueFollower {
    /// One request per planned build, in plan order, each waiting for its
    /// dependencies that are in the same plan.
    /// Pins (`--pin`) travel with the build; the worker consumes them.
    /// A build whose only reasons are dependencies rebuilt in the plan
    /// (`PlannedBuild.condition`) is queued with the values that leave it up
    /// to date, so that it is built only when one of them brings a new
    /// value, as in a local run.
    public static func requests(for plan: Plan, jobs: JobSet) -> [QueueRequest] {
        let planned = Set(plan.builds.map(\.job))
        return plan.builds.compactMap { build in
            guard let job = jobs[build.job] else { return nil }
            return QueueRequest(
                job: job.id, reason: build.reason.description, configSnapshot: job.snapshotJSON(),
                configHash: job.definitionHash, tags: job.tags, retries: job.retries,
                retryDelay: job.retryDelay, dependencies: job.dependencies.filter(planned.contains),
                pins: build.pins, unchangedValues: build.condition.map { unchangedValues($0, jobs) })
        }
    }

    /// For each dependency of `condition` with `early_cutoff` whose last
    /// consumed build is known: that build's value. (A dependency left out
    /// changes the job with any successful build, as `Scheduler` decides.)
    static func unchangedValues(_ condition: RebuildCondition, _ jobs: JobSet) -> [JobID: String?] {
        var values: [JobID: String?] = [:]
        for dep in condition.dependencies where jobs[dep]?.earlyCutoff == true {
            guard let consumed = condition.consumed[dep] else { continue }
            values[dep] = .some(consumed.retval)
        }
        return values
    }

    /// How following ended.
    public struct Outcome: Sendable {
        /// The last attempt of each followed build, in the order given.
        public var builds: [BuildRecord]
        public var interruptedBy: Int32?
        /// The followed builds that left the queue unbuilt: up to date, since
        /// their dependencies brought no new value (or deleted meanwhile).
        public var upToDate: [BuildID] = []

        /// As a local run: a failure is 1, an interruption 128 + signal.
        public var exitReason: ExitReason {
            if let interruptedBy { return .interrupted(signal: interruptedBy) }
            return builds.contains { $0.status == .failed } ? .failed : .success
        }
    }

    /// Fewer builds left than this are polled sooner (see `follow`).
    static let fastBelow = 64

    /// Polls `builds` until each one's last attempt has finished, or until
    /// `stopSignal` returns a signal. `onUpdate` gets each attempt whenever
    /// its status is new (created, running, finished), in that order; an
    /// attempt that failed and was retried comes finished before its retry,
    /// even when the retry was queued between two polls (a tester saw
    /// `started`, then `started (attempt 2)`, and never the failure). Each
    /// poll reads the statuses of the builds not yet finished, then the rows
    /// of those whose status changed. Polls come every `poll`, and sooner
    /// (down to a tenth of it) while fewer than `fastBelow` builds are left and
    /// the last poll saw one change: the end of a run of short builds is seen
    /// within a few milliseconds instead of up to `poll` late (bench W11:
    /// 25 ms of a 750 ms run on average), at the price of a few polls of a
    /// few builds; a long build backs off to `poll` again.
    ///
    /// `onWaiting` gets, at most every `waitingCheck` seconds (the first time
    /// `waitingCheck` after the start), the last attempts still `created`
    /// (not claimed by any worker yet), when there are some.
    ///
    /// - Throws: what the store throws.
    public static func follow(
        _ builds: [BuildID], queue: BuildQueue, poll: TimeInterval = 0.05,
        waitingCheck: TimeInterval = 2, stopSignal: () -> Int32? = { nil },
        onUpdate: (BuildRecord) -> Void = { _ in },
        onWaiting: ([BuildRecord]) -> Void = { _ in }
    ) throws -> Outcome {
        var seen: [BuildID: BuildStatus] = [:]
        var pending = builds
        var last: [BuildID: BuildRecord] = [:]
        var current: [BuildID: BuildID] = [:]  // origin: the newest attempt seen
        var gone: [BuildID] = []
        var interval = poll
        var nextWaitingCheck = Date().addingTimeInterval(waitingCheck)
        while true {
            let statuses = try queue.latestAttemptStatuses(of: pending)
            var changed: [BuildID] = []
            var retried: [BuildID] = []
            for origin in pending {
                guard let state = statuses[origin] else { continue }  // deleted meanwhile
                if seen[state.build] != state.status { changed.append(state.build) }
                if state.build != (current[origin] ?? origin) { retried.append(origin) }
            }
            try reportEarlierAttempts(
                retried, statuses: statuses, queue: queue, seen: &seen, onUpdate: onUpdate)
            for origin in retried { current[origin] = statuses[origin]?.build }
            let records = try queue.records(of: changed)
            var still: [BuildID] = []
            for origin in pending {
                guard let state = statuses[origin] else {
                    last[origin] = nil
                    gone.append(origin)
                    continue
                }
                if let record = records[state.build] {
                    last[origin] = record
                    if seen.updateValue(record.status, forKey: record.id) != record.status {
                        onUpdate(record)
                    }
                    if !record.status.isFinished { still.append(origin) }
                } else if !state.status.isFinished {
                    still.append(origin)
                }
            }
            pending = still
            if pending.isEmpty { break }
            if let signal = stopSignal() {
                return Outcome(
                    builds: builds.compactMap { last[$0] }, interruptedBy: signal, upToDate: gone)
            }
            if Date() >= nextWaitingCheck {
                nextWaitingCheck = Date().addingTimeInterval(waitingCheck)
                let waiting = pending.compactMap { last[$0] }.filter { $0.status == .created }
                if !waiting.isEmpty { onWaiting(waiting) }
            }
            if changed.isEmpty {
                interval = min(poll, interval * 2)
            } else {
                interval = poll * min(1, Double(pending.count) / Double(fastBelow))
            }
            usleep(UInt32(max(poll / 10, interval) * 1_000_000))
        }
        return Outcome(builds: builds.compactMap { last[$0] }, interruptedBy: nil, upToDate: gone)
    }

    /// For each build of `origins`, whose newest attempt is no longer the
    /// one seen last: its earlier attempts not yet seen finished, oldest
    /// first, to `onUpdate` (one round trip for the chains, one for the rows).
    private static func reportEarlierAttempts(
        _ origins: [BuildID], statuses: [BuildID: AttemptStatus], queue: BuildQueue,
        seen: inout [BuildID: BuildStatus], onUpdate: (BuildRecord) -> Void
    ) throws {
        guard !origins.isEmpty else { return }
        let chains = try queue.attempts(of: origins)
        var earlier: [BuildID] = []
        for origin in origins {
            for id in chains[origin] ?? [] where id != statuses[origin]?.build {
                if seen[id]?.isFinished != true { earlier.append(id) }
            }
        }
        guard !earlier.isEmpty else { return }
        let records = try queue.records(of: earlier)
        for id in earlier {
            guard let record = records[id], record.status.isFinished else { continue }
            seen[id] = record.status
            onUpdate(record)
        }
    }
}
