import Foundation

/// What keeps the scheduler from starting one build, each turned into the
/// build's error text or a line of the run summary.
public enum SchedulerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `!retval DEP` and the consumed build of DEP has no value.
    case noValue(dependency: JobID)
    /// `!retval DEP` where DEP is not a dependency in this run.
    case noConsumedBuild(dependency: JobID)
    /// `!secret NAME` and `jcrun.yaml` has no such secret.
    case unknownSecret(String)
    /// An `env` entry whose `NAME=value` is longer than Linux takes.
    case environmentEntryTooLong(name: String, bytes: Int)
    /// The lock folder or a lock file cannot be created or opened.
    case lockUnavailable(path: String, reason: String)

    public var description: String {
        switch self {
        case .noValue(let dep): return "\(dep) returned no value"
        case .noConsumedBuild(let dep): return "\(dep) has no successful build to take a value from"
        case .unknownSecret(let name): return "secret '\(name)' is not defined in jcrun.yaml"
        case .environmentEntryTooLong(let name, let bytes):
            return "env \(name) is \(bytes) bytes, above the 131,071 bytes Linux takes in one environment variable; pass a path to a file instead"
        case .lockUnavailable(let path, let reason): return "\(path): cannot open the lock file: \(reason)"
        }
    }
}
