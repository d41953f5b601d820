import Foundation
import JobControl

/// Each job's status label (DESIGN.md, "State"): the first that applies of
/// running, queued, not built, failed, outdated, skipped, successful.
struct JobStatusReader {
    var states: [JobID: JobState] = [:]
    var outdated: Set<JobID> = []

    /// Reads the states from `store` (nil: no store, every job not built)
    /// and asks the planner which jobs `build-outdated` would build.
    init(jobs: JobSet, store: BuildStore?, now: Date) throws {
        guard let store else { return }
        states = try store.jobStates(jobs.jobs.map(\.id))
        let request = PlanRequest(targets: .all, mode: .buildOutdated, allowProtected: true)
        let plan = try Planner().plan(request, jobs: jobs, states: states, now: now)
        // TODO(#5): a build planned only conditionally (its dependency may end
        // skipped) is labelled outdated too, so a job whose dependency checks
        // every run (`max_age: 0`) always reads outdated.
        outdated = Set(plan.builds.map(\.job))
        for item in plan.leftOut where item.why != .upToDate { outdated.insert(item.job) }
    }

    /// The label as `status` and `list` print it: an outdated protected job
    /// is `outdated (protected)`, as `build-outdated` (and `--check`) leave it out.
    func text(_ job: Job, palette: Palette) -> String {
        let label = label(job.id).rawValue
        guard label == JobStatusLabel.outdated.rawValue, job.protect else {
            return palette.status(label)
        }
        return palette.status(label) + " (protected)"
    }

    func label(_ job: JobID) -> JobStatusLabel {
        guard let state = states[job], let latest = state.latest else { return .notBuilt }
        if state.queuedOnly { return .queued }
        if state.isRunning { return .running }
        if latest.status == .failed { return .failed }
        if outdated.contains(job) { return .outdated }
        if latest.status == .skipped { return .skipped }
        return .successful
    }
}
