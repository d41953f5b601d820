import Foundation

/// Where a renderer writes: a file descriptor, or memory in tests.
public protocol TextOutput: AnyObject, Sendable {
    func write(_ text: String)
}

/// Writes straight to a file descriptor with write(2), retrying short writes.
public final class FileDescriptorOutput: TextOutput, @unchecked Sendable {
    public let fd: Int32
    private let lock = NSLock()

    public init(fd: Int32) { self.fd = fd }

    public static let standardOutput = FileDescriptorOutput(fd: 1)
    public static let standardError = FileDescriptorOutput(fd: 2)

    public var isTerminal: Bool { isatty(fd) == 1 }

    /// The first error a write met, other than a closed pipe (EPIPE goes
    /// to `onBrokenPipe`): `ENOSPC` for `>/dev/full`, `EBADF`, `EIO`. Once
    /// set, later writes are dropped; jcrun reports it when the command ends.
    public var writeError: Int32? { lock.withLock { failure } }
    private var failure: Int32?

    /// Called (on the writing thread) when a write finds the reader gone
    /// (EPIPE); jcrun ignores SIGPIPE and treats this as an interrupt.
    nonisolated(unsafe) public static var onBrokenPipe: (@Sendable () -> Void)?

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write($0) }
    }

    /// Writes bytes as they are, for output that need not be UTF-8 (`jcrun log --raw`).
    public func write(bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { write($0) }
    }

    private func write(_ buffer: UnsafeBufferPointer<UInt8>) {
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil else { return }
        var offset = 0
        while offset < buffer.count {
            let written = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE {
                    FileDescriptorOutput.onBrokenPipe?()
                    return  // a closed pipe (`jcrun list | head`): nothing left to tell
                }
                failure = errno
                return
            }
            offset += written
        }
    }
}

/// jcrun's stdout and stderr when they are pipes or sockets. A run loop
/// polls them for POLLERR/POLLHUP, so a reader going away (`jcrun --json -B
/// slow | head -1`) interrupts the run at once rather than at jcrun's next
/// write, which in `--json` mode may come only when the build ends.
public enum OutputReaders {
    /// The descriptors worth watching; fixed at start.
    static let candidates: [Int32] = [1, 2].filter { fd in
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        let kind = info.st_mode & S_IFMT
        return kind == S_IFIFO || kind == S_IFSOCK
    }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var gone = false

    /// What to poll now: nothing once a reader was found gone.
    static var watched: [Int32] {
        candidates.isEmpty ? [] : lock.withLock { gone ? [] : candidates }
    }

    /// A poll found a reader gone: the same as a write failing with EPIPE.
    static func readerGone() {
        lock.withLock { gone = true }
        FileDescriptorOutput.onBrokenPipe?()
    }
}

/// Collects everything written, for tests.
public final class RecordingOutput: TextOutput, @unchecked Sendable {
    private let lock = NSLock()
    private var chunks: [String] = []

    public init() {}

    public func write(_ text: String) { lock.withLock { chunks.append(text) } }

    public var text: String { lock.withLock { chunks.joined() } }
    public var writes: [String] { lock.withLock { chunks } }
}
