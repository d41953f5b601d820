import Foundation

/// Why a job is in a plan, in words a user can check against the store.
public enum BuildReason: Sendable, Hashable, CustomStringConvertible {
    case neverBuilt
    /// The latest build failed, with its kind.
    case latestFailed(BuildID, FailureKind?)
    /// A dependency's successful build (its latest, or the pinned one) is
    /// not the one last consumed. `consumed` is set for a latest build older
    /// than the consumed one: that one was deleted or pruned.
    case dependencyRebuilt(JobID, build: BuildID, at: Date, consumed: BuildID? = nil)
    /// `--pin DEP=BUILD` names a build of a dependency other than the one
    /// last consumed (older or newer than the latest: it is chosen, not new).
    case dependencyPinned(JobID, build: BuildID)
    /// A dependency is itself in this plan, so it will have a new build.
    case dependencyInPlan(JobID)
    /// The definition's hash changed since the last check; the fields that did.
    case definitionChanged([String])
    /// `max_age` passed since the last check finished.
    case olderThanMaxAge(maxAge: Seconds, lastCheck: Date)
    /// Named on the command line (`jcrun JOB` always builds JOB).
    case requested
    /// `-B`/`--always`.
    case forced
    /// `--with-revdeps`: a dependency in this plan is rebuilt.
    case reverseDependency(JobID)

    public var description: String {
        switch self {
        case .neverBuilt: return "never built"
        case .latestFailed(let id, let kind):
            return "latest build #\(id) failed" + (kind.map { " (\($0.rawValue))" } ?? "")
        case .dependencyRebuilt(let dep, let build, _, let consumed):
            guard let consumed, consumed > build else {
                return "dependency '\(dep)' has a newer successful build #\(build)"
            }
            return "dependency '\(dep)' has a different successful build #\(build)"
                + " than the one last consumed (#\(consumed), deleted)"
        case .dependencyPinned(let dep, let build):
            return "dependency '\(dep)' is pinned to build #\(build) (--pin)"
        // TODO(#5): reasons are checked in their documented order, so a job due
        // by its own max_age whose dependency is rebuilt first shows only this
        // reason, and `--check` lists it as outdated without saying it is due.
        case .dependencyInPlan(let dep): return "dependency '\(dep)' is rebuilt first"
        case .definitionChanged(let fields):
            return "definition changed (\(fields.joined(separator: ", ")))"
        case .olderThanMaxAge(let maxAge, _): return "last check is older than max_age \(maxAge)s"
        case .requested: return "requested"
        case .forced: return "forced (--always)"
        case .reverseDependency(let dep): return "depends on '\(dep)', which is rebuilt"
        }
    }
}

/// One build the plan will run.
public struct PlannedBuild: Sendable, Hashable {
    public var job: JobID
    public var reason: BuildReason
    /// `--pin DEP=BUILD` choices that apply to this build.
    public var pins: [JobID: BuildID]
    /// Set when the only reasons for this build are dependencies rebuilt in
    /// this plan: the scheduler skips it as up to date when none of them
    /// brings a new value (they end skipped, or early cutoff finds the same
    /// return value). nil when the build has a reason of its own.
    public var condition: RebuildCondition?

    public init(
        job: JobID, reason: BuildReason, pins: [JobID: BuildID] = [:],
        condition: RebuildCondition? = nil
    ) {
        self.job = job
        self.reason = reason
        self.pins = pins
        self.condition = condition
    }
}

/// The dependencies in a plan whose new builds are the only reason to build
/// a job, and what the job last consumed from each.
///
/// A dependency counts as changed when its build in the run ends successful
/// and either it has no `early_cutoff` or its return value differs, byte for
/// byte, from `consumed[dep]?.retval` (a missing entry always counts).
public struct RebuildCondition: Sendable, Hashable {
    /// Sorted by id.
    public var dependencies: [JobID]
    /// The inputs of the job's last check, by dependency.
    public var consumed: [JobID: BuildInput]
    /// Whether any of `dependencies` has `early_cutoff` (for `--dry-run`'s words).
    public var anyEarlyCutoff: Bool

    public init(
        dependencies: [JobID], consumed: [JobID: BuildInput] = [:], anyEarlyCutoff: Bool = false
    ) {
        self.dependencies = dependencies
        self.consumed = consumed
        self.anyEarlyCutoff = anyEarlyCutoff
    }
}

/// A job the plan leaves out, and why.
public struct LeftOut: Sendable, Hashable {
    public enum Why: Sendable, Hashable {
        /// Up to date: nothing to do.
        case upToDate
        /// Planned, then found up to date once its lock was held: another
        /// jcrun built it meanwhile; this build (its last check) is used.
        case builtMeanwhile(BuildID)
        /// Protected and outdated: its latest successful build is used.
        case protectedUsedAsIs(BuildID)
        /// Protected with no successful build: the run cannot go on (exit 3).
        case protectedWithoutBuild
        /// `--no-deps` and this dependency has no successful build (exit 3).
        case missingDependency
        /// Protected and outdated, and nothing in the plan needs it: not built
        /// as a side effect (name it to build it).
        case protectedLeftOut
        /// As `protectedLeftOut`, for a job with no successful build yet:
        /// not "outdated" but never built (JSON: `protected_left_out` too).
        case protectedNeverBuilt
    }

    public var job: JobID
    public var why: Why
    /// Set for a protected job left out whose only reasons are dependencies
    /// in the plan: it is outdated only if one of them brings a new value.
    public var condition: RebuildCondition?

    public init(job: JobID, why: Why, condition: RebuildCondition? = nil) {
        self.job = job
        self.why = why
        self.condition = condition
    }
}

/// What to build, in dependency order, and what was left out.
public struct Plan: Sendable, Hashable {
    /// Topologically ordered (ties by id).
    public var builds: [PlannedBuild]
    public var leftOut: [LeftOut]
    /// Whether the request named its jobs (`jcrun JOB`, `build-outdated
    /// JOB`): a dependency the plan cannot provide then stops the run (unless
    /// `--keep-going`). A `build-outdated` of everything builds what it can.
    public var namedTargets: Bool

    public init(builds: [PlannedBuild] = [], leftOut: [LeftOut] = [], namedTargets: Bool = true) {
        self.builds = builds
        self.leftOut = leftOut
        self.namedTargets = namedTargets
    }

    /// The jobs that are outdated now, on their own account: every build
    /// without a condition, and every protected job left out as outdated
    /// without one. A build planned only because a dependency is rebuilt
    /// first may still end up to date (`RebuildCondition`), so it is not
    /// outdated yet; `status`, `list`, the web page and `--check` count
    /// only these.
    public var outdatedJobs: Set<JobID> {
        var result: Set<JobID> = []
        for build in builds where build.condition == nil { result.insert(build.job) }
        for item in leftOut where item.condition == nil {
            switch item.why {
            case .protectedUsedAsIs, .protectedLeftOut, .protectedWithoutBuild,
                .protectedNeverBuilt, .missingDependency:
                result.insert(item.job)
            case .upToDate, .builtMeanwhile: break
            }
        }
        return result
    }
}
