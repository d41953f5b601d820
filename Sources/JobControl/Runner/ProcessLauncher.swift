import CSpawn

/// Runs jobs as real child processes: each in a session of its own, stdin
/// from /dev/null, stdout, stderr and descriptor 3 read concurrently and
/// turned into `RunEvent`s per docs/PROTOCOL.md.
///
/// `run` blocks the calling thread until the job and its reading are done.
/// The child gets SIGKILL if that thread dies (parent-death signal), so call
/// it from a thread that lives at least as long as the job, as a blocking
/// call naturally does.
///
/// When the direct child exits while processes it started keep its output
/// open, the runner reads on until the output has been quiet for `lingerIdle`
/// or `lingerLimit` has passed since the exit, then stops reading and warns.
/// It does not kill those processes (they get SIGPIPE if they write again);
/// on a timeout or an interrupt the whole group is killed instead.
public struct ProcessLauncher: JobLauncher {
    /// Quiet time after the child's exit after which reading stops.
    public var lingerIdle: Double
    /// Longest reading after the child's exit.
    public var lingerLimit: Double

    public init(lingerIdle: Double = 0.2, lingerLimit: Double = 2) {
        self.lingerIdle = lingerIdle
        self.lingerLimit = lingerLimit
    }

    public func run(
        _ spec: RunSpec, control: RunControl, onEvent: @escaping @Sendable (RunEvent) -> Void
    ) -> RunOutcome {
        let session = RunSession(spec: spec, control: control, launcher: self, onEvent: onEvent)
        return session.run()
    }
}

extension ProcessLauncher {
    /// Sends `signal` to every process of the group `pgid` (a build's pid):
    /// for the store's clean-up of a build whose runner died. False when
    /// no such group exists any more.
    @discardableResult
    public static func signalGroup(_ pgid: Int32, _ signal: Int32) -> Bool {
        pgid > 1 && jc_kill_group(pgid, signal) == 0
    }
}
