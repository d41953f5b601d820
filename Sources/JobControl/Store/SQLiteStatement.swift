import CSQLite
import Foundation

/// A prepared statement: bind by 1-based index, step, read columns by 0-based index.
///
/// Bound text and blobs are copied by SQLite (SQLITE_TRANSIENT), so callers
/// need not keep them alive until the step.
final class SQLiteStatement {
    private let raw: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ raw: OpaquePointer, connection: SQLiteConnection) {
        self.raw = raw
        self.connection = connection
    }

    func finalize() { sqlite3_finalize(raw) }

    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Makes the statement ready to step again; bindings stay.
    func rewind() { sqlite3_reset(raw) }

    /// Binds `text` at `index` without copying it and steps once, while the
    /// string's bytes are known to stay put (the hot path of `appendLogs`).
    @discardableResult
    func step(bindingText text: String, at index: Int32) throws -> Bool {
        var text = text
        return try text.withUTF8 { bytes in
            if let base = bytes.baseAddress, bytes.count > 0 {
                sqlite3_bind_text(raw, index, base, Int32(bytes.count), nil)
            } else {
                sqlite3_bind_text(raw, index, "", 0, transient)
            }
            defer { sqlite3_bind_null(raw, index) }
            return try step()
        }
    }

    /// Binds `blob` at `index` without copying it and steps once (the
    /// chunks of `appendLogChunks`).
    @discardableResult
    func step(bindingBlob blob: [UInt8], at index: Int32) throws -> Bool {
        try blob.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, bytes.count > 0 {
                sqlite3_bind_blob(raw, index, base, Int32(bytes.count), nil)
            } else {
                sqlite3_bind_zeroblob(raw, index, 0)
            }
            defer { sqlite3_bind_null(raw, index) }
            return try step()
        }
    }

    // MARK: Binding

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(raw, index, value) } else { sqlite3_bind_null(raw, index) }
    }

    func bind(_ index: Int32, _ value: Int?) { bind(index, value.map(Int64.init)) }

    func bind(_ index: Int32, _ value: Int32?) { bind(index, value.map(Int64.init)) }

    func bind(_ index: Int32, _ value: Bool) { sqlite3_bind_int64(raw, index, value ? 1 : 0) }

    func bind(_ index: Int32, _ value: Date?) { bind(index, value.map(SQLiteStatement.micros)) }

    /// Binds a copy of `value` (or NULL).
    func bind(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(raw, index)
            return
        }
        value.withUTF8 { bytes in
            _ = sqlite3_bind_text(raw, index, bytes.baseAddress, Int32(bytes.count), transient)
        }
    }

    func bind(_ index: Int32, blob: [UInt8]?) {
        guard let blob else {
            sqlite3_bind_null(raw, index)
            return
        }
        blob.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(raw, index, bytes.baseAddress, Int32(bytes.count), transient)
        }
    }

    // MARK: Stepping

    /// Advances to the next row: true when there is one.
    ///
    /// - Throws: the connection's error for the result code (BUSY as `SQLiteBusy`).
    @discardableResult
    func step() throws -> Bool {
        switch sqlite3_step(raw) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let failure = connection.error(code)
            sqlite3_reset(raw)
            throw failure
        }
    }

    /// Steps to the end, for statements that return no rows.
    func run() throws {
        while try step() {}
    }

    // MARK: Columns

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(raw, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(raw, column) }

    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    func int(_ column: Int32) -> Int { Int(int64(column)) }

    func optionalInt32(_ column: Int32) -> Int32? {
        optionalInt64(column).map { Int32(truncatingIfNeeded: $0) }
    }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(raw, column) else { return "" }
        let count = Int(sqlite3_column_bytes(raw, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    func optionalString(_ column: Int32) -> String? { isNull(column) ? nil : string(column) }

    func blob(_ column: Int32) -> [UInt8]? {
        guard !isNull(column) else { return nil }
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let bytes = sqlite3_column_blob(raw, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Calls `body` with a blob column's bytes where SQLite keeps them (valid
    /// until the next step); an empty buffer for NULL.
    func withBlob<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        let bytes = sqlite3_column_blob(raw, column)  // before the size, as SQLite asks
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let bytes else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeBufferPointer(start: bytes.assumingMemoryBound(to: UInt8.self), count: count))
    }

    func date(_ column: Int32) -> Date { SQLiteStatement.date(micros: int64(column)) }

    func optionalDate(_ column: Int32) -> Date? { isNull(column) ? nil : date(column) }

    // MARK: Time

    /// Times are stored as integer microseconds since 1970-01-01 UTC.
    static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    static func date(micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }
}

/// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
