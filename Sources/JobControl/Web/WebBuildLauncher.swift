import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts builds the way a user at a terminal would: a child `jcrun build
/// JOB` (or `build-outdated`) for the same project and store, so the CLI's
/// planner and locks apply. The child gets its own process group (an
/// interrupt of the server does not stop it), stdin and stdout from/to
/// /dev/null, stderr to an unnamed temporary file, and is reaped by a thread that
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
        // The child's stderr goes to a file that has no name from the start:
        // it is gone when both ends close it, even if the server stops first.
        let stderrFile = try Self.anonymousFile()
        var handedOver = false
        defer { if !handedOver { close(stderrFile) } }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stderrFile, 2)
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
        handedOver = true
        reap(child, stderr: stderrFile)
        return child
    }

    /// A new file open for reading and writing (close-on-exec) in the
    /// temporary folder, unlinked as soon as it is made.
    ///
    /// - Throws: `POSIXError` when no file can be made.
    static func anonymousFile() throws -> Int32 {
        let path =
            NSTemporaryDirectory() + "/jcrun-web-\(getpid())-\(UUID().uuidString.prefix(8)).err"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        unlink(path)
        return fd
    }

    /// Everything written to `fd` from its start, as text.
    static func contents(of fd: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer.prefix(count)
            offset += off_t(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Waits for the child on a thread of its own, logs its exit and keeps its last words.
    private func reap(_ child: WebChild, stderr: Int32) {
        let log = self.log
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
            let said = Self.contents(of: stderr)
            close(stderr)
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
