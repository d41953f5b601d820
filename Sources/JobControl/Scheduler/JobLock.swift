import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on one job across processes: `flock` on a file per job
/// in the lock folder beside the state database.
///
/// The kernel releases a `flock` when the last descriptor of its open file
/// closes, so a jcrun that dies (even by SIGKILL) never leaves a job locked.
/// The descriptor is close-on-exec, so builds never inherit it. Two locks
/// opened separately conflict even within one process.
final class JobLock {
    let path: String
    private var fd: Int32

    /// Opens (creating) the lock file of `job` in `directory`, creating the folder.
    /// - Throws: `SchedulerError.lockUnavailable`.
    init(directory: URL, job: JobID) throws {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent(Self.fileName(for: job)).path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 {
            throw SchedulerError.lockUnavailable(path: path, reason: String(cString: strerror(errno)))
        }
    }

    deinit { release() }

    /// Takes the lock if no one holds it; never blocks.
    func tryLock() -> Bool {
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
            if errno != EINTR { return false }
        }
    }

    /// Releases the lock (closing the file).
    func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    /// A file name for any job id: its ASCII letters, digits, `-` and `_`
    /// (at most 40) for people, then 16 hex digits of a 64-bit FNV-1a hash
    /// of the NFC UTF-8 bytes, so distinct Unicode ids get distinct files.
    static func fileName(for job: JobID) -> String {
        let nfc = job.precomposedStringWithCanonicalMapping
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in nfc.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let readable = nfc.unicodeScalars.lazy
            .filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
            .prefix(40)
        let hex = String(hash, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        let name = String(String.UnicodeScalarView(readable))
        return (name.isEmpty ? "job" : name) + "." + padded + ".lock"
    }
}
