import Foundation

/// Decides what a request builds, in which order and why (JOBS.md, "When a
/// job is outdated"). Pure: the store's state and the clock come in as values.
public struct Planner: Sendable {
    public init() {}

    /// The plan for `request`: builds in dependency order (ties by id), each
    /// with its reason, and the jobs in scope that are left out.
    ///
    /// `pinnedBuilds` holds the records of the builds `request.pins` names
    /// (the CLI reads them from the store; `plan(_:jobs:store:now:)` does).
    /// `graph` is `JobGraph(jobs)`, built here when not given.
    /// - Throws: `PlanError`: an unknown job, a bad `--pin`, named protected
    ///   jobs without `allowProtected`, a cycle.
    public func plan(
        _ request: PlanRequest, jobs: JobSet, states: [JobID: JobState], now: Date,
        pinnedBuilds: [BuildID: BuildRecord] = [:], graph: JobGraph? = nil
    ) throws -> Plan {
        let pins = try validatedPins(request.pins, jobs: jobs, builds: pinnedBuilds)
        let scope = try PlanScope(request: request, jobs: jobs, pins: pins)
        var walk = PlanWalk(
            request: request, jobs: jobs, states: states, now: now, pins: pins, scope: scope)
        for id in try scope.order(graph: graph ?? JobGraph(jobs)) { walk.decide(id) }
        if !walk.protectedToConfirm.isEmpty && !request.allowProtected {
            throw PlanError.protectedNeedsConfirmation(walk.protectedToConfirm.sorted())
        }
        let passedOver = scope.protectedRevdeps.subtracting(scope.all).sorted()
        let protected = passedOver.map { id in
            LeftOut(
                job: id,
                why: states[id]?.latestSuccessful == nil ? .protectedNeverBuilt : .protectedLeftOut)
        }
        var namedTargets = true
        if case .all = request.targets { namedTargets = false }
        return Plan(
            builds: walk.builds, leftOut: walk.leftOut + protected + walk.missing,
            namedTargets: namedTargets)
    }

    /// `plan(_:jobs:states:now:)` with the states and pinned builds read from `store`.
    public func plan(_ request: PlanRequest, jobs: JobSet, store: BuildStore, now: Date) throws -> Plan {
        let states = try store.jobStates(jobs.jobs.map(\.id))
        var pinned: [BuildID: BuildRecord] = [:]
        for build in request.pins.values {
            if let record = try store.build(build) { pinned[build] = record }
        }
        return try plan(request, jobs: jobs, states: states, now: now, pinnedBuilds: pinned)
    }

    /// Why `job` would be built by `build-outdated` now, following the chain
    /// down to the dependency that started it:
    /// `["report: dependency 'inventory' is rebuilt first", "inventory: definition changed (command)"]`,
    /// or one line saying it is up to date. A job whose latest build is
    /// still created or running says so (`; build #4 is running`): only
    /// finished builds decide, so another jcrun may yet bring it up to date.
    public func why(_ job: JobID, jobs: JobSet, states: [JobID: JobState], now: Date) throws -> [String] {
        let request = PlanRequest(targets: .jobs([job]), mode: .buildOutdated, allowProtected: true)
        var unfinished: [JobID: BuildRecord] = [:]
        for (id, state) in states {
            if let latest = state.latest, !latest.status.isFinished { unfinished[id] = latest }
        }
        return try plan(request, jobs: jobs, states: states, now: now).why(job, unfinished: unfinished)
    }

    // MARK: Pins

    private func validatedPins(
        _ pins: [JobID: BuildID], jobs: JobSet, builds: [BuildID: BuildRecord]
    ) throws -> [JobID: BuildRecord] {
        var result: [JobID: BuildRecord] = [:]
        for (job, build) in pins.sorted(by: { $0.key < $1.key }) {
            guard jobs[job] != nil else {
                throw PlanError.unknownJob(job, suggestion: Self.suggestion(for: job, in: jobs))
            }
            guard let record = builds[build] else { throw PlanError.noSuchPinnedBuild(job, build) }
            guard record.job == job else { throw PlanError.pinOfAnotherJob(job, build, owner: record.job) }
            guard record.status == .successful else {
                throw PlanError.pinNotSuccessful(job, build, record.status)
            }
            result[job] = record
        }
        return result
    }

    /// The defined id closest to `id`, when close enough to be a typo.
    static func suggestion(for id: JobID, in jobs: JobSet) -> JobID? {
        closestMatch(to: id, among: jobs.jobs.lazy.map(\.id))
    }
}
