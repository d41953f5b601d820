import Foundation
import PostgresTestSupport
import Testing

@testable import JobControl

/// A store written before logs were chunked (SQLite schema 3, PostgreSQL
/// schema 3, one row per line) opens, migrates, and shows every line as it
/// was; new lines follow on.
@Suite struct StoreLogMigrationTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    /// The old per-line lines: two builds, one with more lines than a chunk
    /// holds, every kind of line in the other.
    static func oldLines(_ long: BuildID, _ short: BuildID) -> [LogEntry] {
        let raw: [UInt8] = [0x66, 0xFF, 0xFE, 0x00, 0x67]
        var lines: [LogEntry] = []
        for index in 1...4_000 {
            let level: LogLevel = index % 100 == 0 ? .warning : .info
            let time: Date = t0 + Double(index / 10)
            lines.append(LogEntry(
                build: long, seq: Int64(index), time: time, stream: .stdout, level: level,
                text: "line \(index) of a build from before the chunks"))
        }
        lines += [
            LogEntry(build: short, seq: 1, time: t0, stream: .stdout, level: .info, text: ""),
            LogEntry(
                build: short, seq: 2, time: t0 + 1, stream: .stderr, level: .info,
                text: String(decoding: raw, as: UTF8.self), raw: raw, continued: true),
            LogEntry(build: short, seq: 3, time: t0 + 2, stream: .stdout, level: .info, text: "a\0b é"),
            LogEntry(build: short, seq: 5, time: t0 + 1, stream: .jcrun, level: .error, text: "@log"),
        ]
        return lines
    }

    // MARK: SQLite

    /// Schema 3's insert of one line.
    static let sqliteInsertLine = """
        INSERT INTO log (build, seq, logged_at, stream, level, text, raw, continued)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        """

    @Test func anSQLiteStoreOfSchema3KeepsItsLogs() throws {
        let folder = StoreFolder()
        let raw = try SQLiteConnection(path: folder.databasePath, readOnly: false)
        for step in 0..<SQLiteSQL.logChunksStep { try raw.execute(SQLiteSQL.migrations[step]) }
        try raw.execute("PRAGMA user_version = 3")
        try raw.execute("PRAGMA application_id = \(SQLiteSQL.applicationID)")
        for job in ["long", "short"] {
            try raw.execute(
                "INSERT INTO builds (job, status, created_at) VALUES ('\(job)', 'successful', 0)")
        }
        let lines = Self.oldLines(1, 2)
        try raw.write {
            try raw.using(Self.sqliteInsertLine) { statement in
                for line in lines {
                    statement.rewind()
                    statement.bind(1, line.build)
                    statement.bind(2, line.seq)
                    statement.bind(3, line.time)
                    statement.bind(4, SQLiteStore.streamCode(line.stream))
                    statement.bind(5, SQLiteStore.levelCode(line.level))
                    statement.bind(6, line.text)
                    statement.bind(7, blob: line.raw)
                    statement.bind(8, line.continued)
                    try statement.run()
                }
            }
        }
        raw.close()

        #expect(throws: StoreError.needsMigration(path: folder.databasePath, found: 3, supported: SQLiteStore.schemaVersion)) {
            try folder.openStore(.readOnly)
        }
        let store = try folder.openStore()
        #expect(store.installOutcome == .migrated(from: 3, to: SQLiteStore.schemaVersion))
        #expect(try store.connection.integer("SELECT count(*) FROM sqlite_master WHERE name = 'log_v3'") == 0)
        #expect(try store.connection.integer("SELECT count(*) FROM log WHERE build = 1") ?? 0 > 1)
        #expect(try store.connection.integer("SELECT sum(lines) FROM log") == Int64(lines.count))
        let reader = try folder.openStore(.readOnly)
        #expect(try reader.logs(LogQuery(build: 2)) == lines.filter { $0.build == 2 })
        try Self.expectKept(lines, in: store)
    }

    /// The lines come back exactly, queries work on them, and new lines follow.
    static func expectKept(_ lines: [LogEntry], in store: BuildStore) throws {
        #expect(try store.logs(LogQuery(build: 1)) == lines.filter { $0.build == 1 })
        #expect(try store.logs(LogQuery(build: 2)) == lines.filter { $0.build == 2 })
        #expect(try store.logs(LogQuery(build: 1, minimumLevel: .warning)).count == 40)
        #expect(try store.logs(LogQuery(build: 2, limit: 1, tail: true)).map(\.seq) == [5])
        try store.appendLogs([
            LogEntry(build: 2, seq: 6, time: t0, stream: .stdout, level: .info, text: "after")
        ])
        #expect(try store.logs(LogQuery(build: 2, afterSeq: 3)).map(\.text) == ["@log", "after"])
    }

    // MARK: PostgreSQL

    /// Schema 3's insert of one line (a line with NUL keeps its text in text_bytes).
    static let postgresInsertLine = """
        INSERT INTO log (build, seq, logged_at, stream, level, text, raw, continued, text_bytes)
        VALUES ($1::bigint, $2::bigint, $3::bigint, $4::smallint, $5::smallint, $6::text,
                $7::bytea, $8::boolean, $9::bytea)
        """

    @Test(.enabled(if: PostgresTestServer.skipReason == nil))
    func aPostgresStoreOfSchema3KeepsItsLogs() throws {
        let url = try PostgresTestServer.shared.get().createDatabase()
        let raw = try PostgresConnection(url: url)
        try raw.transaction {
            for step in 0..<PostgresSQL.logChunksStep { try raw.execute(PostgresSQL.migrations[step]) }
            try raw.query(PostgresSQL.setVersion, [.int(PostgresSQL.logChunksStep)])
            for job in ["long", "short"] {
                try raw.execute(
                    "INSERT INTO builds (job, status, created_at) VALUES ('\(job)', 'successful', 0)")
            }
        }
        let lines = Self.oldLines(1, 2)
        try raw.transaction {
            for line in lines {
                let hasNul = line.text.utf8.contains(0)
                try raw.query(
                    Self.postgresInsertLine,
                    [
                        .int(line.build), .int(line.seq), .int(PostgresStore.micros(line.time)),
                        .int(PostgresStore.streamCode(line.stream)),
                        .int(PostgresStore.levelCode(line.level)),
                        .text(line.text.replacingOccurrences(of: "\0", with: "\u{FFFD}")),
                        .blob(line.raw), .bool(line.continued),
                        hasNul ? .bytes(Array(line.text.utf8)) : .null,
                    ])
            }
        }
        let store = try PostgresStore.open(url: url, mode: .write)
        #expect(store.installOutcome == .migrated(from: 3, to: PostgresStore.schemaVersion))
        try Self.expectKept(lines, in: store)
        #expect(try !raw.query(PostgresSQL.tableExists, [.text("log_v3")]).bool(0, 0))
        #expect(try raw.query("SELECT sum(lines) FROM log").int64(0, 0) == Int64(lines.count + 1))
    }
}
