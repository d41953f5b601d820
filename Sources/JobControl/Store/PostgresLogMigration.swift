import Foundation

/// The Swift half of the migration to chunked logs (`PostgresSQL.logChunksStep`):
/// the per-line rows that migration moved to `log_v3` are encoded into
/// chunks in `log`, build by build in seq order, and `log_v3` is dropped.
/// Runs inside the migration's transaction, reading the old rows through a
/// cursor a batch at a time.
enum PostgresLogMigration {
    static let declareCursor = """
        DECLARE jcrun_old_log NO SCROLL CURSOR FOR
        SELECT build, seq, logged_at, stream, level, text, raw, continued, text_bytes FROM log_v3
        ORDER BY build, seq
        """
    static let fetch = "FETCH FORWARD 5000 FROM jcrun_old_log"

    static func convert(_ connection: PostgresConnection) throws {
        try connection.execute(declareCursor)
        var encoder: LogChunkEncoder?
        func write() throws {
            guard var full = encoder, full.lineCount > 0 else { return }
            try connection.query(
                PostgresSQL.reinsertLogChunk, PostgresStore.parameters(of: full.seal()))
        }
        while true {
            let rows = try connection.query(fetch)
            guard rows.rowCount > 0 else { break }
            for row in 0..<rows.rowCount {
                let entry = oldEntry(rows, row)
                if encoder?.build != entry.build
                    || encoder?.hasRoom(for: entry.raw?.count ?? entry.text.utf8.count) == false
                {
                    try write()
                    encoder = LogChunkEncoder(build: entry.build)
                }
                encoder?.append(entry)
            }
        }
        try write()
        try connection.execute("CLOSE jcrun_old_log; DROP TABLE log_v3")
    }

    /// A row of schema 3's `log`: a line with NUL kept its text in `text_bytes`.
    private static func oldEntry(_ rows: PostgresResult, _ row: Int) -> LogEntry {
        let text = rows.bytes(row, 8).map { String(decoding: $0, as: UTF8.self) } ?? rows.string(row, 5)
        return LogEntry(
            build: rows.int64(row, 0), seq: rows.int64(row, 1),
            time: PostgresStore.date(rows.int64(row, 2)),
            stream: PostgresStore.streams[Int(rows.int64(row, 3))] ?? .stdout,
            level: PostgresStore.levels[Int(rows.int64(row, 4))] ?? .info,
            text: text, raw: rows.bytes(row, 6), continued: rows.bool(row, 7))
    }
}
