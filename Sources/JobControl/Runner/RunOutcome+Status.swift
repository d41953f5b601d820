/// How a runner outcome maps to PROTOCOL.md's outcome table.
///
/// The runner reports `retval` and `skipped` whatever the exit; the
/// scheduler stores the build with `buildStatus` and `failureKind`, and
/// stores only `storedRetval` (nil unless the build succeeded).
extension RunOutcome {
    /// `successful`, `skipped` (exit 0 after `@skip`) or `failed`.
    public var buildStatus: BuildStatus {
        guard termination == .exited(0) else { return .failed }
        return skipped ? .skipped : .successful
    }

    /// Why the build failed, nil when it did not.
    public var failureKind: FailureKind? {
        switch termination {
        case .exited(0): nil
        case .exited: .exit
        case .signaled: .signal
        case .timedOut: .timeout
        case .interrupted: .interrupted
        case .startFailed: .startFailed
        }
    }

    /// The return value to store: only a successful (not skipped) build
    /// provides one.
    public var storedRetval: String? { buildStatus == .successful ? retval : nil }
}
