import Foundation

/// Everything the runner needs to start one attempt of a build. All tags are
/// resolved by then: the runner knows nothing of jobs, stores or terminals.
public struct RunSpec: Sendable {
    /// argv; `argv[0]` containing `/` is a path (relative to `workdir`'s
    /// project, already made absolute by the caller), otherwise looked up in
    /// `environment["PATH"]`. A shell command arrives here as
    /// `["/bin/sh", "-c", TEXT, "jcrun-JOB", ARG...]`.
    public var argv: [String]
    /// The complete environment of the child, `JCRUN_*` included.
    public var environment: [String: String]
    /// Absolute working directory.
    public var workdir: String
    public var timeout: Seconds?
    /// Seconds between SIGTERM and SIGKILL on timeout or interrupt.
    public var stopGrace: Seconds
    public var directives: DirectiveMode
    /// Values to replace with `***` in everything the runner reports.
    public var secrets: [String]

    public init(
        argv: [String], environment: [String: String], workdir: String, timeout: Seconds? = nil,
        stopGrace: Seconds = 10, directives: DirectiveMode = .stdout, secrets: [String] = []
    ) {
        self.argv = argv
        self.environment = environment
        self.workdir = workdir
        self.timeout = timeout
        self.stopGrace = stopGrace
        self.directives = directives
        self.secrets = secrets
    }
}

/// One node's figures from a `@progress` line.
public struct ProgressUpdate: Sendable, Hashable {
    /// Empty for the top level.
    public var group: [String]
    public var current: Int
    /// nil for `?`.
    public var total: Int?
    /// nil clears the node's status line.
    public var status: String?

    public init(group: [String], current: Int, total: Int?, status: String? = nil) {
        self.group = group
        self.current = current
        self.total = total
        self.status = status
    }
}

/// What a running job produced, in the order it was read per stream.
public enum RunEvent: Sendable, Hashable {
    /// The child is running (its pid, which is also its process group).
    case started(pid: Int32)
    /// An ordinary line (or piece of one) for the log, secrets already masked.
    case output(stream: LogStream, text: String, raw: [UInt8]?, continued: Bool)
    /// Whole ordinary lines read at once, each as `.output` would carry it
    /// (`lines.events()`): the runner's way to hand on a busy stream.
    case outputLines(OutputLines)
    case progress(ProgressUpdate)
    case retval(String)
    case skip(reason: String?)
    /// `@log LEVEL MESSAGE` (stored under the stream `log`).
    case log(level: LogLevel, message: String)
    /// A message of jcrun's own about the build: a malformed directive,
    /// processes left behind (stored under the stream `jcrun`).
    case notice(level: LogLevel, message: String)
}

/// How one attempt ended, before the store's view of it.
public enum RunTermination: Sendable, Hashable {
    case exited(Int32)
    /// Signal number and name (`SIGKILL`).
    case signaled(Int32, String)
    /// Ran past `timeout`; the group was stopped.
    case timedOut(after: Seconds)
    /// jcrun was told to stop (signal number that reached jcrun).
    case interrupted(Int32)
    /// Never started: exit code 127 for not found, 126 otherwise, and why.
    case startFailed(code: Int32, message: String)
}

/// The result of one attempt: how it ended plus the protocol outcome.
public struct RunOutcome: Sendable, Hashable {
    public var termination: RunTermination
    /// The last `@retval`, if any (masked).
    public var retval: String?
    /// Set when `@skip` was printed; the reason may be empty.
    public var skipReason: String?
    public var skipped: Bool

    public init(termination: RunTermination, retval: String? = nil, skipped: Bool = false, skipReason: String? = nil) {
        self.termination = termination
        self.retval = retval
        self.skipped = skipped
        self.skipReason = skipReason
    }
}
