import Foundation

/// The planner's pass over the jobs in scope, in dependency order: decides
/// for each whether it is built (and why) or left out.
struct PlanWalk {
    let request: PlanRequest
    let jobs: JobSet
    let states: [JobID: JobState]
    let now: Date
    let pins: [JobID: BuildRecord]
    let scope: PlanScope

    private(set) var builds: [PlannedBuild] = []
    private(set) var leftOut: [LeftOut] = []
    /// `--no-deps` dependencies with no successful build, after the others.
    private(set) var missing: [LeftOut] = []
    /// Named protected jobs the plan builds, sorted.
    private(set) var protectedToConfirm: [JobID] = []
    private var inPlan: Set<JobID> = []
    private var reportedMissing: Set<JobID> = []

    init(
        request: PlanRequest, jobs: JobSet, states: [JobID: JobState], now: Date,
        pins: [JobID: BuildRecord], scope: PlanScope
    ) {
        self.request = request
        self.jobs = jobs
        self.states = states
        self.now = now
        self.pins = pins
        self.scope = scope
    }

    /// Decides `id`; every dependency in scope was decided before.
    mutating func decide(_ id: JobID) {
        guard let job = jobs[id] else { return }
        let isNamed = scope.named.contains(id)
        if request.noDeps && isNamed { noteMissingDependencies(of: job) }
        let sideEffect = !isNamed && !scope.revdeps.contains(id)

        // Builds that do not depend on the state.
        if isNamed && request.mode == .build { return add(job, .requested) }
        if request.always && !(job.protect && sideEffect) { return add(job, .forced) }
        if scope.revdeps.contains(id),
            let first = job.dependencies.first(where: { inPlan.contains($0) && pins[$0] == nil })
        {
            return add(job, .reverseDependency(first))
        }

        // Outdated ones.
        let verdict = Outdatedness.of(
            job, jobs: jobs, states: states, pins: pins, now: now,
            inPlan: { inPlan.contains($0) })
        switch verdict {
        case .upToDate:
            leftOut.append(LeftOut(job: id, why: .upToDate))
        case .outdated(let reason), .onlyDependencies(let reason, _):
            if job.protect && sideEffect {
                var condition: RebuildCondition?
                if case .onlyDependencies(_, let only) = verdict { condition = only }
                leftOut.append(LeftOut(job: id, why: protectedWhy(id), condition: condition))
            } else if case .onlyDependencies(_, let condition) = verdict {
                add(job, reason, condition: condition)
            } else {
                add(job, reason)
            }
        }
    }

    private mutating func add(_ job: Job, _ reason: BuildReason, condition: RebuildCondition? = nil) {
        var applying: [JobID: BuildID] = [:]
        for dep in job.dependencies { if let pin = pins[dep] { applying[dep] = pin.id } }
        builds.append(PlannedBuild(job: job.id, reason: reason, pins: applying, condition: condition))
        inPlan.insert(job.id)
        if job.protect { protectedToConfirm.append(job.id) }
    }

    /// A protected job that is outdated and not named: used as it is when
    /// something needs it (or the run cannot go on), else just left out.
    private func protectedWhy(_ id: JobID) -> LeftOut.Why {
        guard scope.needed.contains(id) else {
            return states[id]?.latestSuccessful == nil ? .protectedNeverBuilt : .protectedLeftOut
        }
        if let build = states[id]?.latestSuccessful { return .protectedUsedAsIs(build.id) }
        return .protectedWithoutBuild
    }

    private mutating func noteMissingDependencies(of job: Job) {
        for dep in job.dependencies where pins[dep] == nil && !scope.all.contains(dep) {
            guard states[dep]?.latestSuccessful == nil, !reportedMissing.contains(dep) else { continue }
            reportedMissing.insert(dep)
            missing.append(LeftOut(job: dep, why: .missingDependency))
        }
    }
}
