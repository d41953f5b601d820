import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts builds the way a user at a terminal would: a child `jcrun build
/// JOB` (or `build-outdated`) for the same project and store, so the CLI's
/// planner and locks apply. The child gets its own process group (an
/// interrupt of the server does not stop it), stdin and stdout from/to
/// /dev/null, stderr to a temporary file, and is reaped by a thread that
/// logs how it ended and keeps the end of what it said.
public struct WebBuildLauncher: Sendable {
    /// The jcrun executable (`/proc/self/exe`).
    public var executable: String
    /// `-C PROJECT --storage STORE`, put before the command's own arguments.
    public var baseArguments: [String]
    public var log: @Sendable (String) -> Void

    public init(
        executable: String, baseArguments: [String], log: @escaping @Sendable (String) -> Void
    ) {
        self.executable = executable
        self.baseArguments = baseArguments
        self.log = log
    }

    /// Runs `jcrun ARGUMENTS... --quiet --trigger web` in the background, so its
    /// builds are stored as started by the web page.
    ///
    /// - Throws: `POSIXError` when the child cannot be started.
    @discardableResult
    public func start(_ arguments: [String]) throws -> WebChild {
        let argv = [executable] + arguments + baseArguments + ["--quiet", "--trigger", "web"]
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        let stderrPath =
            NSTemporaryDirectory() + "jcrun-web-\(getpid())-\(UUID().uuidString.prefix(8)).err"
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
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
        let child = WebChild(pid: pid, command: "jcrun " + arguments.joined(separator: " "))
        log("started pid \(pid): \(child.command)")
        reap(child, stderrPath: stderrPath)
        return child
    }

    /// Waits for the child on a thread of its own, logs its exit and keeps its last words.
    ///
    /// TODO(#9): when the server stops before a child ends, the child's stderr file stays in /tmp.
    private func reap(_ child: WebChild, stderrPath: String) {
        let log = self.log
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
            let said = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            unlink(stderrPath)
            let code =
                (status & 0x7f) == 0 ? "exit \((status >> 8) & 0xff)" : "signal \(status & 0x7f)"
            child.finish(code: code, stderr: String(said.suffix(2000)))
            log("pid \(child.pid) (\(child.command)) ended: \(code)")
        }
    }
}

/// A started child jcrun: how it ended, once it has.
public final class WebChild: @unchecked Sendable {
    public let pid: pid_t
    public let command: String
    private let lock = NSLock()
    private var ending: (code: String, stderr: String)?

    init(pid: pid_t, command: String) {
        self.pid = pid
        self.command = command
    }

    /// `exit 2` or `signal 9` and the end of its stderr; nil while it runs.
    public var ended: (code: String, stderr: String)? { lock.withLock { ending } }

    func finish(code: String, stderr: String) { lock.withLock { ending = (code, stderr) } }
}
