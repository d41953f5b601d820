/// A build's life-cycle state, lower case everywhere (output, JSON, database).
public enum BuildStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case created, running, successful, skipped, failed

    /// True once the build can no longer change.
    public var isFinished: Bool { self == .successful || self == .skipped || self == .failed }
}

/// Why a failed build failed (docs/PROTOCOL.md, "Outcome of a build").
/// Kinds are never statuses.
public enum FailureKind: String, Sendable, Hashable, CaseIterable, Codable {
    case exit
    case signal
    case timeout
    case interrupted
    case startFailed = "start_failed"
    case dependencyFailed = "dependency_failed"
    case runnerDied = "runner_died"
    /// The store could not record the build while it ran (a full disk):
    /// part of its log, or its end, is missing.
    case storeFailed = "store_failed"
    /// A queued build cancelled (`jcrun cancel`) before any worker claimed
    /// it: it never ran.
    case cancelled

    /// Failures of these kinds are retried when the job allows retries.
    public var isRetried: Bool { self == .exit || self == .signal || self == .timeout }
}

/// The label `list`, `status` and the web page show for a job: the first
/// that applies, in this order.
public enum JobStatusLabel: String, Sendable, Hashable, CaseIterable, Codable {
    case running
    /// Its only unfinished build is queued (`created`) for a worker.
    case queued
    case notBuilt = "not built"
    case failed
    case outdated
    case skipped
    case successful
}
