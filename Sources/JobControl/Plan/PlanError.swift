import Foundation

/// Requests the planner refuses, each with what the user can change.
public enum PlanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A named job (or a `--pin` key) is not defined.
    case unknownJob(JobID, suggestion: JobID?)
    /// `--pin DEP=BUILD` where no job of the request depends on DEP.
    case pinNotADependency(JobID)
    /// `--pin DEP=BUILD` names a build that does not exist.
    case noSuchPinnedBuild(JobID, BuildID)
    /// `--pin DEP=BUILD` names a build of another job.
    case pinOfAnotherJob(JobID, BuildID, owner: JobID)
    /// `--pin DEP=BUILD` names a build that did not succeed.
    case pinNotSuccessful(JobID, BuildID, BuildStatus)
    /// Named protected jobs would be built; the user must confirm (`--yes`).
    case protectedNeedsConfirmation([JobID])
    /// The dependencies form a circle (the config loader normally refuses this first).
    case cycle([JobID])

    public var description: String {
        switch self {
        case .unknownJob(let id, let suggestion):
            return "no job '\(id)' is defined" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
        case .pinNotADependency(let id):
            return "--pin \(id)=...: no job to build depends on '\(id)'"
        case .noSuchPinnedBuild(let id, let build):
            return "--pin \(id)=\(build): there is no build #\(build)"
        case .pinOfAnotherJob(let id, let build, let owner):
            return "--pin \(id)=\(build): build #\(build) is a build of '\(owner)', not of '\(id)'"
        case .pinNotSuccessful(let id, let build, let status):
            return "--pin \(id)=\(build): build #\(build) is \(status.rawValue), not successful"
        case .protectedNeedsConfirmation(let ids):
            let names = ids.map { "'\($0)'" }.joined(separator: ", ")
            return "\(names) \(ids.count == 1 ? "is" : "are") protected; confirm with --yes to build"
        case .cycle(let ids):
            return "jobs depend on each other in a circle: " + ids.joined(separator: " → ")
        }
    }
}
