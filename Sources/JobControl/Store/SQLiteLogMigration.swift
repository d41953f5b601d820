import Foundation

/// The Swift half of the migration to chunked logs (`SQLiteSQL.logChunksStep`):
/// the per-line rows that migration moved to `log_v3` are encoded into
/// chunks in `log`, build by build in seq order, and `log_v3` is dropped.
/// Runs inside the migration's transaction, holding one chunk at a time.
enum SQLiteLogMigration {
    static let oldRows = """
        SELECT build, seq, logged_at, stream, level, text, raw, continued FROM log_v3
        ORDER BY build, seq
        """

    static func convert(_ connection: SQLiteConnection) throws {
        try connection.using(SQLiteSQL.insertLogChunk) { insert in
            try connection.using(oldRows) { rows in
                var encoder: LogChunkEncoder?
                func write() throws {
                    guard var full = encoder, full.lineCount > 0 else { return }
                    insert.rewind()
                    try SQLiteStore.insert(full.seal(), with: insert)
                }
                while try rows.step() {
                    let entry = SQLiteStore.decodeLog(rows)
                    if encoder?.build != entry.build
                        || encoder?.hasRoom(for: entry.raw?.count ?? entry.text.utf8.count) == false
                    {
                        try write()
                        encoder = LogChunkEncoder(build: entry.build)
                    }
                    encoder?.append(entry)
                }
                try write()
            }
        }
        try connection.execute("DROP TABLE log_v3")
    }
}
