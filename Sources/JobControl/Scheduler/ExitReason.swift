import Foundation

/// How jcrun exits (DESIGN.md, "Exit codes"). When several apply, the one
/// with the highest precedence wins: signal, 70, 2, 1, 3, 75, 0.
public enum ExitReason: Sendable, Hashable {
    case success
    /// A job's lock was not obtained (`--no-wait`, or `--lock-timeout` passed).
    case lockNotObtained
    /// `--no-deps` and a dependency has no successful build, or a protected one has none.
    case missingDependency
    /// A build failed, or `--check` found outdated jobs.
    case failed
    /// Usage or definition error; an unusable store.
    case usage
    /// A bug in jcrun.
    case internalError
    /// Interrupted by this signal (SIGHUP, SIGINT, SIGTERM, or SIGPIPE when jcrun's output reader went away).
    case interrupted(signal: Int32)

    /// The process exit code and the precedence: the one mapping of statuses to codes.
    private var codeAndPrecedence: (code: Int32, precedence: Int) {
        switch self {
        case .success: return (0, 0)
        case .lockNotObtained: return (75, 1)
        case .missingDependency: return (3, 2)
        case .failed: return (1, 3)
        case .usage: return (2, 4)
        case .internalError: return (70, 5)
        case .interrupted(let signal): return (128 + signal, 6)
        }
    }

    public var code: Int32 { codeAndPrecedence.code }

    /// The status that wins when both apply.
    public func combined(with other: ExitReason) -> ExitReason {
        other.codeAndPrecedence.precedence > codeAndPrecedence.precedence ? other : self
    }
}

extension RunSummary {
    /// Every status this run calls for, combined by precedence.
    public var exitReason: ExitReason {
        var status = ExitReason.success
        if lockNotObtained { status = status.combined(with: .lockNotObtained) }
        let missing = leftOut.contains { $0.why == .missingDependency || $0.why == .protectedWithoutBuild }
        if missing { status = status.combined(with: .missingDependency) }
        if failedJobs.count > 0 { status = status.combined(with: .failed) }
        if !errors.isEmpty { status = status.combined(with: .usage) }
        if let interruptedBy { status = status.combined(with: .interrupted(signal: interruptedBy)) }
        return status
    }

    public var exitCode: Int32 { exitReason.code }

    /// Jobs whose last attempt in this run failed, in start order.
    public var failedJobs: [JobID] {
        var last: [JobID: BuildRecord] = [:]
        var order: [JobID] = []
        for build in builds {
            if last.updateValue(build, forKey: build.job) == nil { order.append(build.job) }
        }
        return order.filter { last[$0]?.status == .failed }
    }
}
