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
///
/// On a PostgreSQL store there are no lock files: the lock is the store's
/// (`SharedJobLocks`), which every machine sharing the store sees.
final class JobLock {
    let path: String
    private var fd: Int32
    /// The store's lock of `job` instead of a file, and whether it is held.
    private let shared: (locks: SharedJobLocks, job: JobID)?
    private var sharedHeld = false

    /// `job`'s lock in the store shared by several machines.
    init(shared locks: SharedJobLocks, job: JobID) {
        path = "the store's lock of job '\(job)'"
        fd = -1
        shared = (locks, job)
    }

    /// Opens (creating) the lock file of `job` in `directory`, creating the
    /// folder when it is missing.
    /// - Throws: `SchedulerError.lockUnavailable`.
    convenience init(directory: URL, job: JobID) throws {
        try self.init(directoryPath: directory.path, job: job)
    }

    /// The same from the folder's path: the scheduler takes it from the URL
    /// once per run (`URL.path` cost more than opening the file).
    init(directoryPath: String, job: JobID) throws {
        path = directoryPath + "/" + Self.fileName(for: job)
        shared = nil
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 && errno == ENOENT {
            try? FileManager.default.createDirectory(
                atPath: directoryPath, withIntermediateDirectories: true)
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        }
        if fd < 0 {
            throw SchedulerError.lockUnavailable(path: path, reason: SystemErrorText.of(code: errno))
        }
    }

    deinit { release() }

    /// Takes the lock if no one holds it; never blocks. A store that
    /// cannot be reached counts as the lock not obtained (see `tryLockOrThrow`).
    func tryLock() -> Bool {
        (try? tryLockOrThrow()) ?? false
    }

    /// `tryLock`, with the store's error when its shared lock cannot be asked for.
    func tryLockOrThrow() throws -> Bool {
        if let shared {
            if !sharedHeld { sharedHeld = try shared.locks.tryLock(shared.job) }
            return sharedHeld
        }
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
            if errno != EINTR { return false }
        }
    }

    /// Releases the lock (closing the file).
    func release() {
        if let shared, sharedHeld {
            shared.locks.unlock(shared.job)
            sharedHeld = false
        }
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    /// A file name for any job id: its ASCII letters, digits, `-` and `_`
    /// (at most 40) for people, then 16 hex digits of a 64-bit FNV-1a hash
    /// of the NFC UTF-8 bytes, so distinct Unicode ids get distinct files.
    static func fileName(for job: JobID) -> String {
        let bytes = job.utf8.allSatisfy { $0 < 0x80 } ? job.utf8 : job.precomposedStringWithCanonicalMapping.utf8
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var readable: [UInt8] = []
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            if readable.count < 40 && Self.isReadable(byte) { readable.append(byte) }
        }
        let hex = String(hash, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        let name = String(decoding: readable, as: UTF8.self)
        return (name.isEmpty ? "job" : name) + "." + padded + ".lock"
    }

    /// ASCII letters, digits, `-` and `_`.
    private static func isReadable(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
        }
    }
}
