import CSQLite
import Foundation

/// One sqlite3 connection: opening, cached prepared statements, write
/// transactions retried on SQLITE_BUSY, and result codes turned into `StoreError`.
///
/// Not thread-safe: its owner (`SQLiteStore`) serialises calls.
final class SQLiteConnection {
    let path: String
    private(set) var handle: OpaquePointer?
    private var cache: [String: SQLiteStatement] = [:]
    /// Write transactions committed, for tests that check batching.
    private(set) var transactionCount = 0
    /// How long a write waits for another writer before giving up.
    var busyDeadline: TimeInterval = 60

    /// Opens `path`; `readOnly` never creates the file. `immutable` (read-only
    /// only) opens it as SQLite's `immutable=1` URI: no locks, no `-shm`,
    /// no `-wal` read; for a file whose folder the user cannot write, where
    /// a WAL-mode database cannot otherwise be read.
    ///
    /// - Throws: `StoreError.unreachable` when SQLite cannot open it.
    /// `create: false` opens for writing only a file that exists.
    init(path: String, readOnly: Bool, immutable: Bool = false, create: Bool = true) throws {
        self.path = path
        var db: OpaquePointer?
        var flags: Int32 = readOnly
            ? SQLITE_OPEN_READONLY
            : (create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE)
        var name = path
        if immutable {
            flags |= SQLITE_OPEN_URI
            name = "file:" + Self.uriPath(path) + "?immutable=1"
        }
        let code = sqlite3_open_v2(name, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let db else {
            let reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close_v2(db)
            throw StoreError.unreachable(path: path, reason: reason)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5_000)
    }

    deinit { close() }

    /// `path` as a `file:` URI's path: every byte but unreserved ones and
    /// `/` percent-encoded (a `?` or `#` in a folder name stays a name).
    static func uriPath(_ path: String) -> String {
        var text = ""
        for byte in path.utf8 {
            let char = Character(Unicode.Scalar(byte))
            if byte < 0x80 && (char.isLetter || char.isNumber || "/-._~".contains(char)) {
                text.append(char)
            } else {
                text += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return text
    }

    func close() {
        for statement in cache.values { statement.finalize() }
        cache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// A cached prepared statement for `sql`, reset and with bindings cleared.
    func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard code == SQLITE_OK, let raw else { throw error(code) }
        let statement = SQLiteStatement(raw, connection: self)
        cache[sql] = statement
        return statement
    }

    /// Runs one or more statements that return no rows (schema, pragmas).
    func execute(_ sql: String) throws {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code) }
    }

    /// Runs `body` with the cached statement for `sql`, reset afterwards so
    /// that it holds no lock and no open transaction hangs on it.
    func using<T>(_ sql: String, _ body: (SQLiteStatement) throws -> T) throws -> T {
        let statement = try self.statement(sql)
        defer { statement.rewind() }
        return try body(statement)
    }

    /// The first column of the first row of `sql`, as an integer.
    func integer(_ sql: String) throws -> Int64? {
        try using(sql) { try $0.step() ? $0.optionalInt64(0) : nil }
    }

    /// The first column of the first row of `sql`, as text.
    func text(_ sql: String) throws -> String? {
        try using(sql) { try $0.step() ? $0.optionalString(0) : nil }
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction, committed if it returns
    /// and rolled back if it throws. Waits for other writers up to `busyDeadline`.
    /// `BEGIN` and `COMMIT` are cached statements: `sqlite3_exec` parsed them
    /// again for every transaction (two per build).
    func write<T>(_ body: () throws -> T) throws -> T {
        try retryingWhileBusy { try using("BEGIN IMMEDIATE") { try $0.run() } }
        do {
            let value = try body()
            try retryingWhileBusy { try using("COMMIT") { try $0.run() } }
            transactionCount += 1
            return value
        } catch {
            if sqlite3_get_autocommit(handle) == 0 {
                _ = sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)  // the first error is the one to report
            }
            throw (error as? SQLiteBusy)?.storeError ?? error
        }
    }

    /// Runs `body` in a read transaction so that it sees one snapshot; tried
    /// again while the database is busy (a read has no effects to undo).
    func read<T>(_ body: () throws -> T) throws -> T {
        try retryingWhileBusy {
            try using("BEGIN") { try $0.run() }
            defer { _ = try? using("COMMIT") { try $0.run() } }  // a read commits nothing
            return try body()
        }
    }

    /// Retries `body` while SQLite reports BUSY or LOCKED, with a growing pause.
    ///
    /// The busy handler already waits inside SQLite; some cases (WAL recovery,
    /// a lock held at `BEGIN IMMEDIATE`) return BUSY at once and land here.
    func retryingWhileBusy<T>(_ body: () throws -> T) throws -> T {
        let began = Date()
        let deadline = began.addingTimeInterval(busyDeadline)
        var pause: UInt32 = 1_000
        while true {
            do {
                return try body()
            } catch let failure as SQLiteBusy {
                guard Date() < deadline else { throw failure.storeError }
                if Date().timeIntervalSince(began) >= 1 {
                    StoreNotice.post(
                        "waiting for \(path): another process is writing to it (up to \(Int(busyDeadline))s)")
                }
                usleep(pause)
                pause = min(pause * 2, 100_000)
            }
        }
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Turns a result code into the error to throw; BUSY becomes `SQLiteBusy`
    /// so that `retryingWhileBusy` can wait and try again.
    func error(_ code: Int32) -> Error {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "error \(code)"
        switch code & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED:
            return SQLiteBusy(storeError: .engine(message: "\(path): \(message)"))
        case SQLITE_FULL, SQLITE_IOERR:
            // A write past `ulimit -f` fails with EFBIG (or writes short):
            // SQLite says "disk I/O error" or "database or disk is full".
            if let limit = fileSizeLimitReached() {
                return StoreError.unreachable(
                    path: path, reason: "the file size limit is reached (ulimit -f: \(limit) bytes)")
            }
            if code & 0xff == SQLITE_FULL { return StoreError.diskFull(path: path) }
            return StoreError.engine(message: "\(path): \(message)")
        case SQLITE_NOTADB:
            return StoreError.notADatabase(path: path)
        case SQLITE_READONLY:
            return StoreError.unreachable(path: path, reason: "the database is read-only")
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_AUTH:
            return StoreError.unreachable(path: path, reason: message)
        default:
            return StoreError.engine(message: "\(path): \(message)")
        }
    }

    /// Whether the database file or its WAL ends within one write (64 KiB,
    /// SQLite's largest page, and a WAL frame's header) of the file-size
    /// limit (`ulimit -f`), so that a failed write was refused for it: the
    /// limit in bytes then, else nil.
    private func fileSizeLimitReached() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0,
            limit.rlim_cur != rlim_t.max
        else { return nil }
        for file in [path, path + "-wal"] {
            var info = stat()
            if stat(file, &info) == 0, UInt64(info.st_size) + 65_536 + 24 > UInt64(limit.rlim_cur) {
                return UInt64(limit.rlim_cur)
            }
        }
        return nil
    }
}

/// SQLITE_BUSY or SQLITE_LOCKED, caught by `retryingWhileBusy`; what it
/// throws when waiting runs out is `storeError`.
struct SQLiteBusy: Error {
    let storeError: StoreError
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
