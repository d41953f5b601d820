import Foundation

/// Descriptors a finished job no longer needs (its pipes' read ends at end
/// of file, its pidfd), closed once the next job started instead of between
/// one build's end and the next one's start (issue #4: closing them frees
/// three pipes, about 10 µs). Nothing reads or writes them any more: no
/// writer is left on those pipes, and the child was reaped.
///
/// Every start closes all that wait, so only the descriptors of the runs
/// that ended since the last start (a few per worker) are ever open; a
/// scheduler closes the rest when its run ends.
enum LateClose {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var waiting: [Int32] = []

    /// Closes `fd` with the next `closeAll`.
    static func add(_ fd: Int32) {
        lock.withLock { waiting.append(fd) }
    }

    /// Closes every descriptor waiting.
    static func closeAll() {
        let fds: [Int32] = lock.withLock {
            guard !waiting.isEmpty else { return [] }
            defer { waiting.removeAll(keepingCapacity: true) }
            return waiting
        }
        for fd in fds { close(fd) }
    }
}
