import Foundation

/// Every job's status (`WebJobStatus`: the store's job states and the
/// planner's outdated reasons), kept between requests while nothing it
/// depends on changed: the same loaded jobs, the same store contents
/// (`BuildStore.changeCounter`: SQLite's data version, PostgreSQL's
/// write-ahead log position), and no `max_age` run out since. With 1,000
/// jobs and a million builds computing it costs tens of milliseconds; the
/// check costs one pragma or one statement.
///
/// Not thread-safe: `WebSource` calls it under its lock.
struct WebStatusCache {
    private var status: WebJobStatus?
    private var generation = -1
    private var counter: Int64?
    private var hasStore = false
    /// The status is stale from this moment on (a job's `max_age` runs out).
    private var validUntil: Date?
    private var computedAt = Date.distantPast

    /// How often the status was computed (for tests).
    private(set) var computed = 0

    /// The status at `now`, computed again unless the cached one still holds.
    ///
    /// - Throws: `StoreError`, `PlanError`.
    mutating func status(jobs: JobSet, generation: Int, store: BuildStore?, now: Date) throws
        -> WebJobStatus
    {
        let counter = try store?.changeCounter()
        if let status, counter != nil, counter == self.counter, generation == self.generation,
            hasStore == (store != nil), now >= computedAt, validUntil.map({ now < $0 }) ?? true
        {
            return status
        }
        var fresh = try WebJobStatus(jobs: jobs, store: store, now: now)
        computed += 1
        fresh.serial = computed
        status = fresh
        self.generation = generation
        self.counter = counter
        hasStore = store != nil
        computedAt = now
        validUntil = Self.expiry(jobs: jobs, states: fresh.states, after: now)
        return fresh
    }

    /// The first moment after `now` at which a job's last check becomes older
    /// than its `max_age`, the only way time alone changes the planner's answer.
    static func expiry(jobs: JobSet, states: [JobID: JobState], after now: Date) -> Date? {
        var first: Date?
        for job in jobs.jobs {
            guard let maxAge = job.maxAge, let finished = states[job.id]?.lastCheck?.finishedAt
            else { continue }
            let moment = finished.addingTimeInterval(TimeInterval(maxAge))
            if moment > now && moment < (first ?? .distantFuture) { first = moment }
        }
        return first
    }
}
