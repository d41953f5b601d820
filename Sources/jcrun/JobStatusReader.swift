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
        // A job planned only because a dependency is checked or rebuilt
        // first is not outdated (yet): it keeps its last check's label.
        outdated = plan.outdatedJobs
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
