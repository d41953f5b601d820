import Foundation

/// Why a job is in a plan, in words a user can check against the store.
public enum BuildReason: Sendable, Hashable, CustomStringConvertible {
    case neverBuilt
    /// The latest build failed, with its kind.
    case latestFailed(BuildID, FailureKind?)
    /// A dependency has a successful build newer than the one last consumed.
    case dependencyRebuilt(JobID, build: BuildID, at: Date)
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
        case .dependencyRebuilt(let dep, let build, _):
            return "dependency '\(dep)' has a newer successful build #\(build)"
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

    public init(job: JobID, reason: BuildReason, pins: [JobID: BuildID] = [:]) {
        self.job = job
        self.reason = reason
        self.pins = pins
    }
}

/// A job the plan leaves out, and why.
public struct LeftOut: Sendable, Hashable {
    public enum Why: Sendable, Hashable {
        /// Up to date: nothing to do.
        case upToDate
        /// Protected and outdated: its latest successful build is used.
        case protectedUsedAsIs(BuildID)
        /// Protected with no successful build: the run cannot go on (exit 3).
        case protectedWithoutBuild
        /// `--no-deps` and this dependency has no successful build (exit 3).
        case missingDependency
    }

    public var job: JobID
    public var why: Why

    public init(job: JobID, why: Why) {
        self.job = job
        self.why = why
    }
}

/// What to build, in dependency order, and what was left out.
public struct Plan: Sendable, Hashable {
    /// Topologically ordered (ties by id).
    public var builds: [PlannedBuild]
    public var leftOut: [LeftOut]

    public init(builds: [PlannedBuild] = [], leftOut: [LeftOut] = []) {
        self.builds = builds
        self.leftOut = leftOut
    }
}
