import CPostgres
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection: connecting, prepared statements cached by their
/// text, transactions, LISTEN/NOTIFY, and errors turned into `StoreError`
/// with the password masked.
///
/// Not thread-safe: its owner (`PostgresStore`) serialises calls. Every
/// query is parameterised (`PQexecPrepared`); values travel as text, except
/// bytea values, which travel as binary.
final class PostgresConnection {
    /// The URL as shown in messages (password masked).
    let display: String
    private let url: String
    private var handle: OpaquePointer?
    private var prepared: [String: String] = [:]
    /// Write transactions committed, for tests that check batching.
    private(set) var transactionCount = 0
    private var inTransaction = false
    /// `LISTEN` was run on this connection.
    var listening = false
    /// `PostgresQueueSQL.claimSettings` were set on this connection.
    var claiming = false
    /// `send` sent a statement whose answer is not read yet.
    private var answerPending = false

    /// Connects to `url` (`postgresql://user:password@host:port/db?...`).
    ///
    /// - Throws: `StoreError.unreachable` with libpq's reason, password masked.
    init(url: String) throws {
        self.url = url
        self.display = PostgresURL.redacted(url)
        let connection = PQconnectdb(PostgresConnection.withConnectTimeout(url))
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            var reason =
                connection.map { PostgresConnection.message(PQerrorMessage($0)) } ?? "out of memory"
            if reason.hasPrefix("timeout expired") || reason.hasSuffix("timeout expired") {
                reason = PostgresConnection.timeoutReason(url)
            }
            PQfinish(connection)
            throw StoreError.unreachable(path: display, reason: PostgresURL.mask(reason, in: url))
        }
        handle = connection
        _ = try? execute("SET client_min_messages = warning")  // no NOTICE chatter on stderr
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { close() }

    /// Seconds a connection may take when the URL sets no `connect_timeout`:
    /// a server that accepts and never answers is an error, not a hang.
    static let defaultConnectTimeout = 10

    /// `url` with `connect_timeout=10` added unless it sets one.
    static func withConnectTimeout(_ url: String) -> String {
        guard connectTimeout(url) == nil else { return url }
        return url + (url.contains("?") ? "&" : "?") + "connect_timeout=\(defaultConnectTimeout)"
    }

    /// The `connect_timeout` written in `url`'s query, if any.
    static func connectTimeout(_ url: String) -> String? {
        guard let question = url.firstIndex(of: "?") else { return nil }
        for pair in url[url.index(after: question)...].split(separator: "&")
        where pair.lowercased().hasPrefix("connect_timeout=") {
            return String(pair.dropFirst("connect_timeout=".count))
        }
        return nil
    }

    /// The message for a connection that timed out, naming host and port.
    static func timeoutReason(_ url: String) -> String {
        let seconds = connectTimeout(url) ?? "\(defaultConnectTimeout)"
        var authority = Substring("")
        if let start = url.range(of: "://")?.upperBound {
            let rest = url[start...].prefix { $0 != "/" && $0 != "?" }
            authority = rest.lastIndex(of: "@").map { rest[rest.index(after: $0)...] } ?? rest
        }
        var host = authority.isEmpty ? "localhost" : String(authority)
        let hostEnd = host.lastIndex(of: "]") ?? host.startIndex
        if let colon = host[hostEnd...].lastIndex(of: ":") {
            host = String(host[..<colon]) + ", port " + host[host.index(after: colon)...]
        } else {
            host += ", port 5432"
        }
        return "the server at \(host) did not answer within \(seconds) s (connect_timeout;"
            + " set ?connect_timeout=SECONDS in the URL to wait longer)"
    }

    func close() {
        answerPending = false
        if let handle { PQfinish(handle) }
        handle = nil
        prepared.removeAll()
    }

    /// The socket to wait on for notifications.
    var socket: Int32 { handle.map { PQsocket($0) } ?? -1 }

    // MARK: Statements

    /// Runs one or more statements without parameters (schema, `LISTEN`).
    func execute(_ sql: String) throws {
        try reconnectIfBroken()
        let result = PostgresResult(PQexec(handle, sql))
        try check(result, sql: sql)
    }

    /// Sends `sql` (a prepared statement) without waiting for its answer,
    /// which the next call on this connection reads and drops: one round
    /// trip the caller does not wait for (`PostgresJobLocks.unlock`). An
    /// error it meets is not reported.
    func send(_ sql: String, _ parameters: [PostgresValue] = []) throws {
        try reconnectIfBroken()
        let name = try statementName(for: sql)
        let sent = withParameters(parameters) { count, values, lengths, formats in
            PQsendQueryPrepared(handle, name, count, values, lengths, formats, 0) == 1
        }
        guard sent else { throw StoreError.unreachable(path: display, reason: lastError()) }
        answerPending = true
    }

    /// Reads and drops the answer of a statement `send` sent.
    private func dropPendingAnswer() {
        guard answerPending, let handle else { return }
        answerPending = false
        while let result = PQgetResult(handle) { PQclear(result) }
    }

    /// Runs `sql` with `parameters` ($1, $2, ...) as a cached prepared statement.
    @discardableResult
    func query(_ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresResult {
        try reconnectIfBroken()
        let name = try statementName(for: sql)
        let result = withParameters(parameters) { count, values, lengths, formats in
            PostgresResult(PQexecPrepared(handle, name, count, values, lengths, formats, 0))
        }
        try check(result, sql: sql)
        return result
    }

    /// Runs `statements` in one libpq pipeline: sent together and answered
    /// together, one round trip for all, as one implicit transaction (each
    /// statement sees the ones before it; an error rolls every one back).
    ///
    /// - Throws: the first statement's error; `StoreError.unreachable` when
    ///   the pipeline cannot be used.
    func pipeline(_ statements: [(sql: String, parameters: [PostgresValue])]) throws
        -> [PostgresResult]
    {
        try reconnectIfBroken()
        guard !inTransaction else {
            return try statements.map { try query($0.sql, $0.parameters) }
        }
        let names = try statements.map { try statementName(for: $0.sql) }
        guard PQenterPipelineMode(handle) == 1 else {
            throw StoreError.unreachable(path: display, reason: lastError())
        }
        var sent = 0
        for (index, statement) in statements.enumerated() {
            let ok = withParameters(statement.parameters) { count, values, lengths, formats in
                PQsendQueryPrepared(handle, names[index], count, values, lengths, formats, 0) == 1
            }
            if !ok { break }
            sent += 1
        }
        _ = PQpipelineSync(handle)
        // Each statement's result, then the NULL that ends it; then the sync.
        var results: [PostgresResult] = []
        for _ in 0..<sent {
            results.append(PostgresResult(PQgetResult(handle)))
            while let extra = PQgetResult(handle) { PQclear(extra) }
        }
        while let tail = PQgetResult(handle) {
            let status = PQresultStatus(tail)
            PQclear(tail)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        _ = PQexitPipelineMode(handle)
        guard sent == statements.count else {
            throw StoreError.unreachable(path: display, reason: lastError())
        }
        for (index, result) in results.enumerated() {
            try check(result, sql: statements[index].sql)
        }
        return results
    }

    /// Calls `body` with `parameters` as libpq's arrays (text, or binary for bytes).
    private func withParameters<T>(
        _ parameters: [PostgresValue],
        _ body: (Int32, [UnsafePointer<CChar>?], [Int32], [Int32]) -> T
    ) -> T {
        let count = Int32(parameters.count)
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        buffers.reserveCapacity(parameters.count)
        defer { for buffer in buffers { free(buffer) } }
        for value in parameters {
            switch value {
            case .null:
                buffers.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                buffers.append(strdup(text))
                lengths.append(0)
                formats.append(0)
            case .bytes(let bytes):
                let buffer = malloc(max(bytes.count, 1))!.assumingMemoryBound(to: CChar.self)
                bytes.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { memcpy(buffer, base, bytes.count) }
                }
                buffers.append(buffer)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        let values = buffers.map { UnsafePointer<CChar>($0) }
        return body(count, values, lengths, formats)
    }

    private func statementName(for sql: String) throws -> String {
        if let name = prepared[sql] { return name }
        let name = "jcrun_\(prepared.count + 1)"
        let result = PostgresResult(PQprepare(handle, name, sql, 0, nil))
        try check(result, sql: sql)
        prepared[sql] = name
        return name
    }

    // MARK: Transactions

    /// Runs `body` in a transaction, committed if it returns and rolled back
    /// if it throws. A serialization failure or deadlock runs it again.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        var attempts = 0
        while true {
            attempts += 1
            try execute("BEGIN")
            inTransaction = true
            do {
                let value = try body()
                try execute("COMMIT")
                inTransaction = false
                transactionCount += 1
                return value
            } catch let failure as PostgresRetry {
                rollback()
                if attempts >= 5 { throw failure.storeError }
                usleep(UInt32(1_000 * attempts))
            } catch {
                rollback()
                throw error
            }
        }
    }

    private func rollback() {
        inTransaction = false
        guard let handle else { return }
        PQclear(PQexec(handle, "ROLLBACK"))  // the first error is the one to report
    }

    // MARK: Notifications

    /// Waits until a notification arrives, `wakeFD` becomes readable, or
    /// `timeout` passes; returns the channels notified (empty on timeout).
    func waitForNotifications(timeout: TimeInterval, wakeFD: Int32 = -1) throws -> [String] {
        var channels = drainNotifications()
        if !channels.isEmpty { return channels }
        var fds: [pollfd] = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        if wakeFD >= 0 { fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)) }
        let milliseconds = Int32(max(0, min(timeout, 3_600)) * 1_000)
        let ready = poll(&fds, nfds_t(fds.count), milliseconds)
        if ready > 0 && fds[0].revents != 0 {
            if PQconsumeInput(handle) == 0 {
                throw StoreError.unreachable(path: display, reason: lastError())
            }
            channels = drainNotifications()
        }
        return channels
    }

    private func drainNotifications() -> [String] {
        guard let handle else { return [] }
        var channels: [String] = []
        while let notice = PQnotifies(handle) {
            channels.append(String(cString: notice.pointee.relname))
            PQfreemem(notice)
        }
        return channels
    }

    // MARK: Errors

    /// A dropped connection (server restart) is reset once, outside transactions.
    private func reconnectIfBroken() throws {
        dropPendingAnswer()
        guard let handle else {
            throw StoreError.unreachable(path: display, reason: "the connection is closed")
        }
        guard PQstatus(handle) != CONNECTION_OK, !inTransaction else { return }
        PQreset(handle)
        prepared.removeAll()
        listening = false
        claiming = false
        guard PQstatus(handle) == CONNECTION_OK else {
            throw StoreError.unreachable(path: display, reason: lastError())
        }
    }

    private func check(_ result: PostgresResult, sql: String) throws {
        let status = PQresultStatus(result.handle)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK { return }
        guard let raw = result.handle else {
            throw StoreError.unreachable(path: display, reason: lastError())
        }
        let state =
            PQresultErrorField(raw, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let text = PostgresURL.mask(PostgresConnection.message(PQresultErrorMessage(raw)), in: url)
        switch state {
        case "40001", "40P01":
            throw PostgresRetry(storeError: .engine(message: "\(display): \(text)"))
        case "53100":
            throw StoreError.diskFull(path: display)
        case _ where state.hasPrefix("08") || state.hasPrefix("28") || state.hasPrefix("57P"):
            throw StoreError.unreachable(path: display, reason: text)
        case "":
            throw StoreError.unreachable(path: display, reason: lastError())
        default:
            throw StoreError.engine(message: "\(display): \(text)")
        }
    }

    private func lastError() -> String {
        guard let handle else { return "the connection is closed" }
        return PostgresURL.mask(PostgresConnection.message(PQerrorMessage(handle)), in: url)
    }

    /// libpq's message as one line: severity words (`FATAL:  `) dropped,
    /// lines joined with `; `.
    static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        var message = String(cString: text)
        for severity in ["ERROR:  ", "FATAL:  ", "PANIC:  "] {
            message = message.replacingOccurrences(of: severity, with: "")
        }
        let lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return lowercasedFirst(lines.filter { !$0.isEmpty }.joined(separator: "; "))
    }
}

/// A serialization failure or deadlock: `transaction` runs the body again.
struct PostgresRetry: Error {
    let storeError: StoreError
}

/// A query parameter.
enum PostgresValue {
    case text(String)
    case bytes([UInt8])
    case null

    static func string(_ value: String?) -> PostgresValue { value.map { .text($0) } ?? .null }
    static func int(_ value: Int64?) -> PostgresValue { value.map { .text(String($0)) } ?? .null }
    static func int(_ value: Int32?) -> PostgresValue { value.map { .text(String($0)) } ?? .null }
    static func int(_ value: Int?) -> PostgresValue { value.map { .text(String($0)) } ?? .null }
    static func bool(_ value: Bool) -> PostgresValue { .text(value ? "t" : "f") }
    static func blob(_ value: [UInt8]?) -> PostgresValue { value.map { .bytes($0) } ?? .null }
}

/// One query's rows, in text format; freed with the value.
final class PostgresResult {
    let handle: OpaquePointer?

    init(_ handle: OpaquePointer?) { self.handle = handle }

    deinit { PQclear(handle) }

    var rowCount: Int { Int(PQntuples(handle)) }

    /// Rows an UPDATE, INSERT or DELETE changed.
    var changes: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) != 0
    }

    func string(_ row: Int, _ column: Int) -> String {
        String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    func optionalString(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : string(row, column)
    }

    func int64(_ row: Int, _ column: Int) -> Int64 { Int64(string(row, column)) ?? 0 }

    func optionalInt64(_ row: Int, _ column: Int) -> Int64? {
        isNull(row, column) ? nil : Int64(string(row, column))
    }

    func optionalInt32(_ row: Int, _ column: Int) -> Int32? {
        isNull(row, column) ? nil : Int32(string(row, column))
    }

    func bool(_ row: Int, _ column: Int) -> Bool { string(row, column) == "t" }

    /// A bytea column (text format: `\x` and hex digits).
    func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), Int32(column)) else {
            return nil
        }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        guard length >= 2 else { return [] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((length - 2) / 2)
        var index = 2
        while index + 1 < length {
            let high = PostgresResult.hexValue(UInt8(bitPattern: value[index]))
            let low = PostgresResult.hexValue(UInt8(bitPattern: value[index + 1]))
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8 {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        default: return digit &- UInt8(ascii: "A") &+ 10
        }
    }
}
