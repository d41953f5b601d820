/// Errors of the command line itself, each with what the user can do.
enum CLIError: Error, Equatable {
    /// A usage mistake: unknown option, missing argument, bad value.
    case usage(String)
    /// A job id that no job has.
    case unknownJob(String, suggestion: String?)
    /// A build id (digits, `#N`) where a job id was expected.
    case buildIDAsJob(String, building: Bool)
    /// A build id that no build has, or a job with no build.
    case noSuchBuild(String)
    /// A command whose engine part has not landed yet.
    case notAvailable(command: String, issue: Int)
    /// A protected job named without a terminal to confirm on (exit 2).
    case protectedNeedsConfirmation([String])
    /// The user answered no, or typed something else.
    case notConfirmed
    /// A command that ran and failed (exit 1), already explained on stderr.
    case failed(String)
    /// Stopped by this signal (Ctrl-C, SIGTERM, SIGHUP), already explained on stderr.
    case interrupted(Int32)
    /// An invariant jcrun itself broke (exit 70).
    case internalBug(String)
    /// The system refused what jcrun needs to run safely (exit 70, not a bug).
    case system(String)
}
