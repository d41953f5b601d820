import CSQLite
import Foundation

/// The default `BuildStore`: one SQLite file (WAL, foreign keys on), shared
/// by every jcrun process of a project.
///
/// Write mode creates the file and its folder and creates or migrates the
/// schema in one `BEGIN IMMEDIATE` transaction. Read-only mode never creates
/// or migrates anything. A file that is not jcrun's is never changed.
/// Used from one thread at a time (see `BuildStore`).
public final class SQLiteStore: BuildStore {
    public let path: String
    public let mode: StoreMode
    /// What opening did to the schema.
    public let installOutcome: InstallOutcome
    let connection: SQLiteConnection
    /// Folds the WAL while the store is in use (a writing store on a file).
    private let checkpointer: SQLiteCheckpointer?
    /// The time written to rows; tests fix it.
    public var clock: () -> Date = Date.init
    /// The build id this store holds reserved (`reservingBuildIDs`), with
    /// `PRAGMA data_version` as it was reserved; nil: none.
    var reservation: BuildReservation?
    /// Whether each new row reserves the next id (`reservingBuildIDs(true)`).
    var keepsReservation = false
    /// The device of the file as opened (`checkFileStillThere`); nil in memory.
    private var openedDevice: UInt64?
    /// The `-wal` and `-shm` this connection has open (device and inode,
    /// seen once the WAL exists): removed at closing when the database file
    /// was replaced, while the path still names them (`removeOwnJournal`).
    private var openedJournal: [(suffix: String, device: UInt64, inode: UInt64)] = []
    /// `checkFileStillThere` found the file deleted or replaced.
    private var fileMoved = false

    /// The schema version this jcrun reads and writes.
    public static var schemaVersion: Int { SQLiteSQL.schemaVersion }

    /// Write transactions committed through this store (tests of batching).
    public var transactionCount: Int { connection.transactionCount }

    private init(
        path: String, mode: StoreMode, connection: SQLiteConnection, outcome: InstallOutcome,
        checkpointer: SQLiteCheckpointer? = nil
    ) {
        self.path = path
        self.mode = mode
        self.connection = connection
        self.installOutcome = outcome
        self.checkpointer = checkpointer
        checkpointer?.watch(connection)
    }

    deinit { stopCheckpointer() }

    /// Opens the store at `path` (`:memory:` for a private in-memory one).
    ///
    /// - Throws: `StoreError.notADatabase`, `.foreignDatabase`, `.newerSchema`,
    ///   `.unreachable` (folder or file cannot be made or written), and in
    ///   read-only mode `.notInstalled` (no store yet) and `.needsMigration`.
    public static func open(path: String, mode: StoreMode) throws -> SQLiteStore {
        let inMemory = path == ":memory:"
        if !inMemory {
            try checkFile(at: path, mode: mode)
        }
        // A file this user may not write is only read: as `immutable=1`
        // when it can be, since a read-only connection would make a `-wal`
        // and `-shm` beside it that it can neither fold nor remove (a
        // refused `delete` or `prune` left them, owned by this user).
        let readOnlyFile = mode == .readOnly && !inMemory && !isWritable(path)
        var connection = try SQLiteConnection(
            path: path, readOnly: mode == .readOnly,
            immutable: readOnlyFile && canOpenImmutable(path))
        let found: Int?
        do {
            found = try inspect(connection)
        } catch StoreError.unreachable where mode == .readOnly && !inMemory && canOpenImmutable(path) {
            // A WAL-mode file in a folder this user cannot write: SQLite can
            // make no `-shm` to read it through. With no `-wal` left (the
            // last writer checkpointed on close), the file alone is the
            // whole store and is read as SQLite's `immutable=1`.
            connection.close()
            connection = try SQLiteConnection(path: path, readOnly: true, immutable: true)
            found = try inspect(connection)
        }
        let outcome: InstallOutcome
        switch mode {
        case .readOnly:
            outcome = .upToDate
            try connection.execute("PRAGMA query_only = ON")
            try connection.execute(SQLiteSQL.readOnlySettings)
            guard let version = found else { throw StoreError.notInstalled(path: path) }
            if version < SQLiteSQL.schemaVersion {
                throw StoreError.needsMigration(path: path, found: version, supported: SQLiteSQL.schemaVersion)
            }
        case .write:
            if !inMemory {
                try enableWAL(connection)
            }
            // Before the schema's transaction: in WAL mode, NORMAL syncs at
            // checkpoints, as for every later write (FULL would sync the
            // new WAL and its folder at this commit).
            try connection.execute("PRAGMA synchronous = NORMAL")
            outcome = try connection.write { try migrate(connection) }
        }
        try connection.execute(SQLiteSQL.connectionSettings)
        var info = stat()
        let opened: FileIdentity? =
            !inMemory && stat(path, &info) == 0
            ? FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) : nil
        let checkpointer =
            mode == .write && !inMemory ? SQLiteCheckpointer(path: path, file: opened) : nil
        let store = SQLiteStore(
            path: path, mode: mode, connection: connection, outcome: outcome,
            checkpointer: checkpointer)
        store.openedDevice = opened?.device
        if mode == .write && !inMemory {
            // The schema's transaction made the WAL and `-shm`; SQLite keeps
            // them open as long as the connection.
            for suffix in ["-wal", "-shm"] where stat(path + suffix, &info) == 0 {
                store.openedJournal.append(
                    (suffix, UInt64(info.st_dev), UInt64(info.st_ino)))
            }
        }
        return store
    }

    /// Whether the database file this store has open is still the one at
    /// `path`: nil when it is, else what became of it (`was deleted`, `was
    /// replaced by another file`). Someone who removes `.jcrun/state.db*`
    /// while a build runs would otherwise lose that run's builds silently:
    /// SQLite goes on writing to the removed file. The open file's inode
    /// is compared with the path's by SQLite (`SQLITE_FCNTL_HAS_MOVED`), its
    /// device with the one seen at opening.
    ///
    /// When it moved, closing the store leaves a `-wal` and `-shm` at `path`
    /// that another store made (SQLite would otherwise remove the new
    /// store's WAL), and removes those still this connection's own: stale
    /// for a file put in place (`mv backup.db state.db`), SQLite would
    /// replay that WAL into it at the next opening, corrupting it.
    public func checkFileStillThere() -> String? {
        guard let device = openedDevice, let handle = connection.handle else { return nil }
        var moved: Int32 = 0
        _ = sqlite3_file_control(handle, "main", SQLITE_FCNTL_HAS_MOVED, &moved)
        var info = stat()
        let exists = stat(path, &info) == 0
        guard moved != 0 || !exists || UInt64(info.st_dev) != device else { return nil }
        var keep: Int32 = 1
        _ = sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &keep)
        fileMoved = true
        return exists ? "was replaced by another file" : "was deleted"
    }

    /// The file `path` names: its symbolic links followed (a relative
    /// target against the link's folder), even to a target that does not
    /// exist, where Foundation's `resolvingSymlinksInPath` stops. `path`
    /// itself when it is no link; at most 40 links are followed.
    public static func linkTarget(of path: String) -> String {
        var current = path
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        for _ in 0..<40 {
            let count = readlink(current, &buffer, buffer.count - 1)
            guard count > 0 else { return current }
            let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current =
                target.hasPrefix("/")
                ? target
                : ((current as NSString).deletingLastPathComponent as NSString)
                    .appendingPathComponent(target)
        }
        return current
    }

    /// Reaps builds of dead runners (`reapDeadRunners`) for a read-only
    /// command: opens a write connection to an existing, current store only
    /// for that, never creating or migrating anything.
    ///
    /// - Throws: what opening for writing throws (`.unreachable` for a
    ///   read-only file); nothing is reaped then.
    public static func reapDeadRunners(path: String) throws -> [BuildID] {
        try checkFile(at: path, mode: .readOnly)
        try checkFile(at: path, mode: .write)
        let connection = try SQLiteConnection(path: path, readOnly: false)
        defer { connection.close() }
        guard try inspect(connection) == SQLiteSQL.schemaVersion else { return [] }
        try connection.execute(SQLiteSQL.connectionSettings)
        let store = SQLiteStore(path: path, mode: .write, connection: connection, outcome: .upToDate)
        return try store.reapDeadRunners()
    }

    /// A fresh private store in memory, for tests of the scheduler and the CLI.
    public static func inMemory() throws -> SQLiteStore {
        try open(path: ":memory:", mode: .write)
    }

    /// Creates the store or migrates it to this jcrun's schema (`jcrun install`);
    /// running it again changes nothing.
    public static func install(path: String) throws -> InstallOutcome {
        let store = try open(path: path, mode: .write)
        defer { store.close() }
        return store.installOutcome
    }

    /// Drops every table jcrun made, leaving an empty database file
    /// (`jcrun uninstall`, after the CLI's confirmation). Works on any schema
    /// version that is jcrun's, newer ones included; no file is not an error.
    ///
    /// - Throws: `.notADatabase` and `.foreignDatabase` (the file is left alone).
    public static func uninstall(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try checkFile(at: path, mode: .write)
        let connection = try SQLiteConnection(path: path, readOnly: false)
        defer { connection.close() }
        guard try inspect(connection, allowNewer: true) != nil else { return }
        try connection.write { try connection.execute(SQLiteSQL.dropEverything) }
        try connection.execute("VACUUM")
        // Nothing else in the file: back to a rollback journal, so that a
        // read-only command opening it later leaves no `-wal` or `-shm`.
        if try connection.integer(SQLiteSQL.tableCount) == 0 {
            try connection.using("PRAGMA journal_mode = DELETE") { _ = try $0.step() }
        }
    }

    /// Closes the store: the checkpoint thread first, then the connection,
    /// which folds the rest of the WAL into the file and removes it.
    public func close() {
        giveBackReservationNow()
        stopCheckpointer()
        connection.close()
        if fileMoved { removeOwnJournal() }
    }

    /// After closing a store whose file was deleted or replaced: removes
    /// the `-wal` and `-shm` at `path` that are still the very files this
    /// connection had open (same device and inode), leaving another
    /// store's alone. Checked after the connection closed, so that SQLite
    /// writes nothing to them any more.
    private func removeOwnJournal() {
        var info = stat()
        for file in openedJournal {
            let name = path + file.suffix
            guard stat(name, &info) == 0, UInt64(info.st_dev) == file.device,
                UInt64(info.st_ino) == file.inode
            else { continue }
            unlink(name)
        }
        openedJournal.removeAll()
    }

    private func stopCheckpointer() {
        guard let checkpointer else { return }
        SQLiteCheckpointer.unwatch(connection)
        checkpointer.stop()
    }

    /// Folds a `-wal` left behind (by a runner killed with SIGKILL, or by
    /// read-only commands, which cannot checkpoint nor remove it) into the
    /// database file, when this process may write it: a passive checkpoint,
    /// then closing, which removes the WAL and `-shm` when no other
    /// connection is open. Call after every connection of this process to
    /// `path` is closed. Does nothing without a WAL; never waits for a writer.
    public static func foldLeftoverJournal(path: String) {
        var info = stat()
        guard stat(path + "-wal", &info) == 0, access(path, W_OK) == 0,
            access((path as NSString).deletingLastPathComponent, W_OK) == 0,
            let connection = try? SQLiteConnection(path: path, readOnly: false)
        else { return }
        try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        connection.close()
    }

    // MARK: Opening steps

    /// Refuses what must not be opened, before SQLite touches the file:
    /// a folder, a device or pipe, a file that is not SQLite, a write-protected file in write
    /// mode (even for root), a missing file in read-only mode. In write mode
    /// it creates the missing folders.
    private static func checkFile(at path: String, mode: StoreMode) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            // `.jcrun` a file: say so, not SQLite's "unable to open database file".
            if errno == ENOTDIR, let file = fileInFolders(of: path) {
                throw StoreError.unreachable(
                    path: file, reason: "it is a file, not a folder; the state database '\(path)' goes inside it")
            }
            guard mode == .write else { throw StoreError.notInstalled(path: path) }
            try makeFolder(for: path)
            return
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw StoreError.unreachable(path: path, reason: "it is a folder, not a database file")
        }
        // A device, pipe or socket (`--storage /dev/null`) reads as an empty
        // store and fails at the first write: refused, whatever the mode.
        if info.st_mode & S_IFMT != S_IFREG {
            throw StoreError.unreachable(
                path: path, reason: "it is not a regular file; give the path of a database file")
        }
        // Refused before anything runs (a cleanup, a build), not at the
        // first write: no write bit at all (even root is refused), or none
        // for this user, or a folder where SQLite cannot make its -wal.
        if mode == .write && !isWritable(path) {
            throw StoreError.unreachable(path: path, reason: "the database file is read-only")
        }
        if mode == .write && access((path as NSString).deletingLastPathComponent, W_OK) != 0 {
            throw StoreError.unreachable(
                path: path, reason: "its folder is read-only, so SQLite cannot write its journal")
        }
        guard info.st_size > 0 else { return }
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw StoreError.unreachable(path: path, reason: "cannot read the file")
        }
        defer { try? file.close() }  // read-only handle: nothing to lose
        let header = (try? file.read(upToCount: 16)) ?? Data()
        if header != Data("SQLite format 3\0".utf8) {
            throw StoreError.notADatabase(path: path)
        }
    }

    /// Whether this user may write the file at `path`, by the test write
    /// mode refuses it with (no write bit at all counts for root too).
    private static func isWritable(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return true }
        return info.st_mode & 0o222 != 0 && access(path, W_OK) == 0
    }

    /// Whether `path` may be read as immutable: no `-wal` with content
    /// (its commits would be missed) and no `-shm` (a writer may be at
    /// work; SQLite reads through a `-shm` it can only read).
    private static func canOpenImmutable(_ path: String) -> Bool {
        var info = stat()
        if stat(path + "-wal", &info) == 0 && info.st_size > 0 { return false }
        return stat(path + "-shm", &info) != 0
    }

    /// `mkdir -p` of the file's folder, with the system's reason on failure.
    /// The first of `path`'s folders that exists and is not a folder.
    private static func fileInFolders(of path: String) -> String? {
        let folder = (path as NSString).deletingLastPathComponent
        var partial = folder.hasPrefix("/") ? "" : "."
        for component in folder.split(separator: "/") {
            partial += "/" + component
            var info = stat()
            guard stat(partial, &info) == 0 else { return nil }
            if info.st_mode & S_IFMT != S_IFDIR { return partial }
        }
        return nil
    }

    private static func makeFolder(for path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        var partial = folder.hasPrefix("/") ? "" : "."
        for component in folder.split(separator: "/") {
            partial += "/" + component
            var info = stat()
            if stat(partial, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { continue }
            if mkdir(partial, 0o777) != 0 && errno != EEXIST {
                let reason = lowercasedFirst(String(cString: strerror(errno)))
                throw StoreError.unreachable(
                    path: path, reason: "cannot create the folder '\(folder)': \(reason)")
            }
        }
    }

    /// The schema version of an installed jcrun store, nil for an empty
    /// database.
    ///
    /// - Throws: `.foreignDatabase` for someone else's tables, `.newerSchema`.
    private static func inspect(_ connection: SQLiteConnection, allowNewer: Bool = false) throws -> Int? {
        try connection.retryingWhileBusy {
            try connection.read { try readVersion(connection, allowNewer: allowNewer) }
        }
    }

    /// `inspect` inside a transaction the caller holds.
    private static func readVersion(_ connection: SQLiteConnection, allowNewer: Bool) throws -> Int? {
        let path = connection.path
        guard try connection.integer(SQLiteSQL.tableCount) ?? 0 > 0 else { return nil }
        let version = Int(try connection.integer(SQLiteSQL.userVersion) ?? 0)
        let marked = try connection.integer(SQLiteSQL.readApplicationID) == SQLiteSQL.applicationID
        let hasMeta = try connection.integer(SQLiteSQL.hasMeta) ?? 0 > 0
        let named = try hasMeta && connection.text(SQLiteSQL.application) == "jcrun"
        guard marked || named else { throw StoreError.foreignDatabase(path: path) }
        let supported = SQLiteSQL.schemaVersion
        if version > supported && !allowNewer {
            throw StoreError.newerSchema(path: path, found: version, supported: supported)
        }
        return version
    }

    private static func enableWAL(_ connection: SQLiteConnection) throws {
        _ = try connection.retryingWhileBusy {
            try connection.using("PRAGMA journal_mode = WAL") { try $0.step() }
        }
    }

    /// Runs the migrations the file lacks; inside the caller's `BEGIN IMMEDIATE`,
    /// so the version is read again after the lock is held (another process
    /// may have just installed).
    private static func migrate(_ connection: SQLiteConnection) throws -> InstallOutcome {
        let found = try readVersion(connection, allowNewer: false) ?? 0
        guard found < SQLiteSQL.schemaVersion else { return .upToDate }
        for step in found..<SQLiteSQL.schemaVersion {
            try connection.execute(SQLiteSQL.migrations[step])
            if step == SQLiteSQL.logChunksStep { try SQLiteLogMigration.convert(connection) }
        }
        try connection.execute("PRAGMA user_version = \(SQLiteSQL.schemaVersion)")
        try connection.execute("PRAGMA application_id = \(SQLiteSQL.applicationID)")
        return found == 0 ? .created : .migrated(from: found, to: SQLiteSQL.schemaVersion)
    }
}

func lowercasedFirst(_ text: String) -> String {
    guard let first = text.first else { return text }
    return first.lowercased() + text.dropFirst()
}
