import Foundation

/// Whether one job is outdated, by the rules of JOBS.md, given which of its
/// dependencies are rebuilt before it.
enum Outdatedness: Equatable {
    case upToDate
    /// A reason of the job's own: it is built whatever its dependencies do.
    case outdated(BuildReason)
    /// Outdated only because dependencies in the plan are rebuilt first.
    case onlyDependencies(BuildReason, RebuildCondition)

    /// Checks `job` against its state.
    ///
    /// The order of the checks is the order of JOBS.md: never built, latest
    /// failed, a dependency, the definition, `max_age`. A dependency pinned
    /// with `--pin` counts with its pinned build; one `inPlan` counts as
    /// rebuilt (and becomes a condition when nothing else outdates the job).
    static func of(
        _ job: Job, jobs: JobSet, states: [JobID: JobState], pins: [JobID: BuildRecord],
        now: Date, inPlan: (JobID) -> Bool
    ) -> Outdatedness {
        guard let state = states[job.id], let lastSuccess = state.latestSuccessful else {
            return .outdated(.neverBuilt)
        }
        // A build still created or running is no outcome yet: the latest
        // finished one counts (another jcrun may be rebuilding a failed job).
        if let latest = state.latestFinished, latest.status == .failed {
            return .outdated(.latestFailed(latest.id, latest.failureKind))
        }
        let lastCheck = state.lastCheck ?? lastSuccess
        var consumed: [JobID: BuildInput] = [:]
        for input in state.lastCheckInputs { consumed[input.dependency] = input }

        // Dependencies.
        var rebuilt: BuildReason?
        var planned: [JobID] = []
        for dep in job.dependencies {
            if let pin = pins[dep] {
                if consumed[dep]?.consumed != pin.id && rebuilt == nil {
                    rebuilt = .dependencyPinned(dep, build: pin.id)
                }
                continue
            }
            if inPlan(dep) {
                planned.append(dep)
                continue
            }
            guard rebuilt == nil, let latest = states[dep]?.latestSuccessful else { continue }
            guard let input = consumed[dep] else {
                rebuilt = .dependencyRebuilt(dep, build: latest.id, at: latest.finishedAt ?? latest.createdAt)
                continue
            }
            if input.consumed == latest.id { continue }
            if jobs[dep]?.earlyCutoff == true && input.retval == latest.retval { continue }
            rebuilt = .dependencyRebuilt(
                dep, build: latest.id, at: latest.finishedAt ?? latest.createdAt,
                consumed: input.consumed)
        }
        if let rebuilt { return .outdated(rebuilt) }

        // The definition and the age of the last check.
        var own: BuildReason?
        if lastCheck.configHash != job.definitionHash {
            // Snapshots show secrets as `***`: when they read the same, the
            // hash changed with a secret's value (or the snapshot is unreadable).
            var fields = job.changedFields(from: lastCheck.configSnapshot)
            if fields.isEmpty {
                fields = job.secretValues.isEmpty ? Job.hashedFields : ["a secret's value"]
            }
            own = .definitionChanged(fields)
        } else if let maxAge = job.maxAge, let finished = lastCheck.finishedAt,
            now.timeIntervalSince(finished) >= TimeInterval(maxAge)
        {
            own = .olderThanMaxAge(maxAge: maxAge, lastCheck: finished)
        }
        if let first = planned.first {
            if own != nil { return .outdated(.dependencyInPlan(first)) }
            let condition = RebuildCondition(
                dependencies: planned, consumed: consumed.filter { planned.contains($0.key) },
                anyEarlyCutoff: planned.contains { jobs[$0]?.earlyCutoff == true })
            return .onlyDependencies(.dependencyInPlan(first), condition)
        }
        return own.map { .outdated($0) } ?? .upToDate
    }
}
