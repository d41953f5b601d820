import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts builds the way a user at a terminal would: a child `jcrun build
/// JOB` (or `build-outdated`) for the same project and store, so the CLI's
/// planner and locks apply. The child gets its own process group (an
/// interrupt of the server does not stop it), stdin and stdout from/to
/// /dev/null, and is reaped by a thread that logs how it ended.
public struct WebBuildLauncher: Sendable {
    /// The jcrun executable (`/proc/self/exe`).
    public var executable: String
    /// `-C PROJECT --storage STORE`, put before the command's own arguments.
    public var baseArguments: [String]
    public var log: @Sendable (String) -> Void

    public init(executable: String, baseArguments: [String], log: @escaping @Sendable (String) -> Void) {
        self.executable = executable
        self.baseArguments = baseArguments
        self.log = log
    }

    /// Runs `jcrun ARGUMENTS...` in the background.
    ///
    /// - Throws: `POSIXError` when the child cannot be started.
    public func start(_ arguments: [String]) throws {
        let argv = [executable] + arguments + baseArguments + ["--quiet"]
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        for fd: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // Own process group, default signal handling, nothing blocked.
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        let flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, &cArguments, environ)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        log("started pid \(pid): jcrun \(arguments.joined(separator: " "))")
        reap(pid, arguments.joined(separator: " "))
    }

    /// Waits for the child on a thread of its own and logs its exit.
    private func reap(_ pid: pid_t, _ what: String) {
        let log = self.log
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let code = (status & 0x7f) == 0 ? "exit \((status >> 8) & 0xff)" : "signal \(status & 0x7f)"
            log("pid \(pid) (jcrun \(what)) ended: \(code)")
        }
    }
}
