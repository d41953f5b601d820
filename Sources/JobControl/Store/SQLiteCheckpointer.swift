import CSQLite
import Foundation

/// Folds a writing store's WAL into its database file on a thread and a
/// connection of its own, so that a commit never waits for a checkpoint.
///
/// SQLite's own automatic checkpoint runs inside the commit that takes the
/// WAL past 1,000 pages: copying those pages and two `fdatasync`s (about 10
/// to 15 ms for a build printing megabytes), while the recorder holds the
/// store and the job's reader waits for it. Here the commit only notes the
/// WAL's size (`sqlite3_wal_hook`, which replaces the automatic
/// checkpoint), and past `pages` it wakes this thread, which runs the same
/// passive checkpoint while writes go on. Closing the store stops the
/// thread (a checkpoint under way finishes first) before the store's own
/// connection closes, which folds what is left and removes the WAL as
/// before: the same work, done no later, with the same syncs.
final class SQLiteCheckpointer: @unchecked Sendable {
    /// The WAL size, in pages, that starts a checkpoint (SQLite's default
    /// for its automatic one).
    static let pages: Int32 = 1000

    private let path: String
    /// The database file the store opened: a checkpoint goes only into it.
    private let file: FileIdentity?
    private let condition = NSCondition()
    private var requested = false
    private var stopping = false
    private var started = false
    /// The thread could not open its connection and ended.
    private var failed = false
    private let finished = DispatchSemaphore(value: 0)

    init(path: String, file: FileIdentity?) {
        self.path = path
        self.file = file
    }

    /// Registers the commit hook on `connection` (the store's writer).
    func watch(_ connection: SQLiteConnection) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_wal_hook(connection.handle, { context, db, name, pages in
            guard pages >= SQLiteCheckpointer.pages, let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<SQLiteCheckpointer>.fromOpaque(context)
                .takeUnretainedValue()
            if !checkpointer.request() {
                // No thread to do it: in the commit, as SQLite itself would.
                _ = sqlite3_wal_checkpoint(db, name)
            }
            return SQLITE_OK
        }, context)
    }

    /// Removes the hook from `connection` (before it closes).
    static func unwatch(_ connection: SQLiteConnection) {
        guard let handle = connection.handle else { return }
        sqlite3_wal_hook(handle, nil, nil)
    }

    /// Asks for a checkpoint; starts the thread the first time. False when
    /// the thread could not open its connection (the caller checkpoints).
    func request() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !failed else { return false }
        guard !stopping else { return true }
        requested = true
        if !started {
            started = true
            let thread = Thread { [self] in run() }
            thread.name = "jcrun.store.checkpoint"
            thread.start()
        }
        condition.signal()
        return true
    }

    /// Stops the thread, after the checkpoint under way if any; its
    /// connection is closed when this returns.
    func stop() {
        condition.lock()
        let wait = started && !stopping  // a second call has nothing to wait for
        stopping = true
        condition.signal()
        condition.unlock()
        if wait { finished.wait() }
    }

    private func run() {
        defer { finished.signal() }
        // Without a connection nothing is folded early: closing the store does it.
        // A first read makes the connection see the WAL (before it, a
        // checkpoint finds no WAL and does nothing).
        // The file checked before that read, which opens the `-wal` and
        // `-shm`: a connection to a file put in place of the store's would
        // take them for its own (truncating the `-shm` the store reads
        // through, folding its WAL into the new file at closing). Opening
        // alone reads nothing; a file replaced after the check is still
        // the store's inode, shared with its connection.
        // Never created: the store's file deleted (`rm -f state.db*`) stays so.
        guard let connection = try? SQLiteConnection(path: path, readOnly: false, create: false),
            isStoreFile(connection), (try? connection.integer(SQLiteSQL.tableCount)) != nil
        else {
            condition.withLock { failed = true }
            return
        }
        defer { connection.close() }
        while true {
            condition.lock()
            while !requested && !stopping { condition.wait() }
            let stop = stopping
            requested = false
            condition.unlock()
            if stop { return }
            // The file replaced (`mv backup.db state.db`): folding the WAL
            // at the path could write this run's pages into the new file.
            guard isStoreFile(connection) else {
                condition.withLock { failed = true }
                return
            }
            // Passive: never waits for readers or writers; what it cannot
            // fold now, the next one (or closing the store) does.
            _ = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        }
    }

    /// Whether `connection` has the store's own file open, still at `path`.
    private func isStoreFile(_ connection: SQLiteConnection) -> Bool {
        guard let file, let handle = connection.handle else { return false }
        var moved: Int32 = 0
        _ = sqlite3_file_control(handle, "main", SQLITE_FCNTL_HAS_MOVED, &moved)
        var info = stat()
        return moved == 0 && stat(path, &info) == 0 && UInt64(info.st_dev) == file.device
            && UInt64(info.st_ino) == file.inode
    }
}

/// A file's device and inode: the same file whatever its path became.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64
}
