import Foundation

/// Every job's status label and outdated reason, as the jobs page shows them.
struct WebJobStatus {
    var states: [JobID: JobState] = [:]
    /// Why `build-outdated` would build each job now.
    var outdated: [JobID: String] = [:]
    /// Which computation this is (`WebStatusCache` numbers them from 1; 0
    /// for one made outside it): what was made from a status can be kept
    /// while the serial is the same.
    var serial = 0

    /// Reads the states from `store` and asks the planner what is outdated.
    init(jobs: JobSet, store: BuildStore?, now: Date) throws {
        guard let store else {
            for job in jobs.jobs { outdated[job.id] = BuildReason.neverBuilt.description }
            return
        }
        states = try store.jobStates(jobs.jobs.map(\.id))
        let request = PlanRequest(targets: .all, mode: .buildOutdated, allowProtected: true)
        let plan = try Planner().plan(request, jobs: jobs, states: states, now: now)
        // As `status`: a build planned only because a dependency is rebuilt
        // first may still end up to date, so it is not outdated (yet).
        for build in plan.builds where build.condition == nil {
            outdated[build.job] = build.reason.description
        }
    }

    /// DESIGN.md's label: the first of running, queued, not built, failed, outdated,
    /// skipped, successful that applies.
    func label(_ job: JobID) -> JobStatusLabel {
        guard let state = states[job], let latest = state.latest else { return .notBuilt }
        if state.queuedOnly { return .queued }
        if state.isRunning { return .running }
        if latest.status == .failed { return .failed }
        if outdated[job] != nil { return .outdated }
        if latest.status == .skipped { return .skipped }
        return .successful
    }
}
