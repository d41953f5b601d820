import CPostgres
import Foundation

/// A `BuildStore` in a PostgreSQL database (`storage: postgresql://...`),
/// shared by jcrun processes and workers on several machines.
///
/// The schema mirrors the SQLite store's (see `PostgresSQL`) plus the build
/// queue (`PostgresQueueSQL`). Write mode creates or migrates the schema,
/// one numbered migration per transaction under an advisory lock, so that
/// two jcruns installing at once do not race. Read-only mode never changes
/// anything (`default_transaction_read_only`). Used from one thread at a
/// time (see `BuildStore`); a worker opens one store per thread that needs one.
public final class PostgresStore: BuildStore {
    /// The URL as given (with its password: never print it; use `location`).
    public let url: String
    public let mode: StoreMode
    /// What opening did to the schema.
    public let installOutcome: InstallOutcome
    let connection: PostgresConnection
    /// The time written to rows; tests fix it. Leases use the server's clock.
    public var clock: () -> Date = Date.init

    /// The schema version this jcrun reads and writes.
    public static var schemaVersion: Int { PostgresSQL.schemaVersion }

    /// Write transactions committed through this store (tests of batching).
    public var transactionCount: Int { connection.transactionCount }

    /// The URL with its password masked, for messages.
    public var location: String { connection.display }

    private init(
        url: String, mode: StoreMode, connection: PostgresConnection, outcome: InstallOutcome
    ) {
        self.url = url
        self.mode = mode
        self.connection = connection
        self.installOutcome = outcome
    }

    /// Connects to `url` and checks (write mode: creates or migrates) the schema.
    ///
    /// - Throws: `StoreError.unreachable` (cannot connect, password masked),
    ///   `.foreignDatabase`, `.newerSchema`, and in read-only mode
    ///   `.notInstalled` and `.needsMigration`.
    public static func open(url: String, mode: StoreMode) throws -> PostgresStore {
        let connection = try PostgresConnection(url: url)
        let outcome: InstallOutcome
        switch mode {
        case .readOnly:
            outcome = .upToDate
            guard let version = try readVersion(connection) else {
                throw StoreError.notInstalled(path: connection.display)
            }
            if version < PostgresSQL.schemaVersion {
                throw StoreError.needsMigration(
                    path: connection.display, found: version, supported: PostgresSQL.schemaVersion)
            }
            try connection.execute("SET default_transaction_read_only = on")
        case .write:
            outcome = try migrate(connection)
        }
        return PostgresStore(url: url, mode: mode, connection: connection, outcome: outcome)
    }

    /// Reaps builds of dead runners and expired leases (`reapDeadRunners`)
    /// for a read-only command: only in an installed, current schema, never
    /// creating or migrating anything.
    public static func reapDeadRunners(url: String) throws -> [BuildID] {
        let connection = try PostgresConnection(url: url)
        guard try readVersion(connection) == PostgresSQL.schemaVersion else { return [] }
        let store = PostgresStore(url: url, mode: .write, connection: connection, outcome: .upToDate)
        defer { store.close() }
        return try store.reapDeadRunners()
    }

    /// Creates the schema or migrates it to this jcrun's (`jcrun install`);
    /// running it again changes nothing.
    public static func install(url: String) throws -> InstallOutcome {
        let store = try open(url: url, mode: .write)
        defer { store.close() }
        return store.installOutcome
    }

    /// Drops every table jcrun made (`jcrun uninstall`). Other tables in the
    /// database are left alone; no jcrun tables is not an error.
    ///
    /// - Throws: `.foreignDatabase` when `meta` is someone else's.
    public static func uninstall(url: String) throws {
        let connection = try PostgresConnection(url: url)
        defer { connection.close() }
        try connection.transaction {
            try connection.query(PostgresSQL.takeMigrationLock)
            guard try readVersion(connection, allowNewer: true) != nil else { return }
            try connection.execute(PostgresSQL.dropEverything)
        }
    }

    public func close() { connection.close() }

    // MARK: Schema

    /// The schema version of an installed jcrun store, nil when there is none.
    ///
    /// - Throws: `.foreignDatabase` for a `meta` or `builds` table that is not
    ///   jcrun's, `.newerSchema`.
    private static func readVersion(_ connection: PostgresConnection, allowNewer: Bool = false)
        throws -> Int?
    {
        let path = connection.display
        let hasMeta = try connection.query(PostgresSQL.tableExists, [.text("meta")]).bool(0, 0)
        guard hasMeta else {
            if try connection.query(PostgresSQL.tableExists, [.text("builds")]).bool(0, 0) {
                throw StoreError.foreignDatabase(path: path)
            }
            return nil
        }
        let meta = try connection.query(PostgresSQL.readMeta)
        guard meta.optionalString(0, 0) == "jcrun",
            let version = meta.optionalString(0, 1).flatMap(Int.init)
        else { throw StoreError.foreignDatabase(path: path) }
        if version > PostgresSQL.schemaVersion && !allowNewer {
            throw StoreError.newerSchema(
                path: path, found: version, supported: PostgresSQL.schemaVersion)
        }
        return version
    }

    /// Runs the migrations the database lacks, each in its own transaction,
    /// all under the session's advisory lock, reading the version again
    /// under the lock (another jcrun may have just migrated).
    private static func migrate(_ connection: PostgresConnection) throws -> InstallOutcome {
        try connection.query(PostgresSQL.takeSessionLock)
        defer { _ = try? connection.query(PostgresSQL.releaseSessionLock) }  // also released on disconnect
        var first: Int?
        while true {
            let done: Bool = try connection.transaction {
                let found = try readVersion(connection) ?? 0
                if first == nil { first = found }
                guard found < PostgresSQL.schemaVersion else { return true }
                try connection.execute(PostgresSQL.migrations[found])
                if found == PostgresSQL.logChunksStep { try PostgresLogMigration.convert(connection) }
                try connection.query(PostgresSQL.setVersion, [.int(found + 1)])
                return false
            }
            if done { break }
        }
        let found = first ?? 0
        if found == PostgresSQL.schemaVersion { return .upToDate }
        return found == 0 ? .created : .migrated(from: found, to: PostgresSQL.schemaVersion)
    }

    // MARK: Rows

    static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    static func date(_ micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// The columns of `PostgresSQL.buildColumns`.
    static let buildColumnCount = 20

    /// A `BuildRecord` from row `row` of `PostgresSQL.buildColumns`, which
    /// start at column `first`.
    static func decodeBuild(_ result: PostgresResult, _ row: Int, from first: Int = 0) -> BuildRecord {
        let c = first
        var runner: RunnerIdentity?
        if let host = result.optionalString(row, c + 16) {
            runner = RunnerIdentity(
                host: host, pid: result.optionalInt32(row, c + 17) ?? 0,
                processStart: UInt64(bitPattern: result.optionalInt64(row, c + 18) ?? 0),
                processGroup: result.optionalInt32(row, c + 19))
        }
        return BuildRecord(
            id: result.int64(row, c), job: result.string(row, c + 1),
            status: BuildStatus(rawValue: result.string(row, c + 2)) ?? .failed,
            failureKind: result.optionalString(row, c + 3).flatMap(FailureKind.init(rawValue:)),
            exitCode: result.optionalInt32(row, c + 4), signal: result.optionalString(row, c + 5),
            error: result.optionalString(row, c + 6), retval: result.optionalString(row, c + 7),
            attempt: Int(result.int64(row, c + 8)), reason: result.string(row, c + 9),
            trigger: result.string(row, c + 10), configHash: result.string(row, c + 11),
            configSnapshot: result.string(row, c + 12), createdAt: date(result.int64(row, c + 13)),
            startedAt: result.optionalInt64(row, c + 14).map(date),
            finishedAt: result.optionalInt64(row, c + 15).map(date), runner: runner)
    }

    static func decodeBuilds(_ result: PostgresResult) -> [BuildRecord] {
        (0..<result.rowCount).map { decodeBuild(result, $0) }
    }

    static func decodeInputs(_ result: PostgresResult) -> [BuildInput] {
        (0..<result.rowCount).map { row in
            BuildInput(
                build: result.int64(row, 0), dependency: result.string(row, 1),
                consumed: result.int64(row, 2), retval: result.optionalString(row, 3),
                pinned: result.bool(row, 4))
        }
    }
}

extension PostgresValue {
    /// A `text[]` literal: `{"a","b\"c"}`.
    static func textArray(_ values: [String]) -> PostgresValue {
        optionalTextArray(values.map { Optional($0) })
    }

    /// A `text[]` literal whose nil elements are NULL: `{"a",NULL}`.
    static func optionalTextArray(_ values: [String?]) -> PostgresValue {
        var literal = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { literal += "," }
            guard let value else {
                literal += "NULL"
                continue
            }
            literal += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return .text(literal + "}")
    }

    /// A `bigint[]` literal: `{1,2,3}`.
    static func intArray(_ values: [Int64]) -> PostgresValue {
        .text("{" + values.map(String.init).joined(separator: ",") + "}")
    }
}
