extension PostgresStore {
    /// The server's write-ahead log insert position: every commit that
    /// changes a row inserts a commit record there before it returns, so
    /// the position after a change is always past the one read before it
    /// (the write position, `pg_current_wal_lsn`, lags behind it under
    /// `synchronous_commit = off`). It also moves for writes that do
    /// not touch jcrun's tables (another database of the same server, a
    /// checkpoint, autovacuum), which only makes a reader compute again
    /// what it could have kept. A standby answers with the position it has
    /// replayed. Nil when the server cannot tell.
    ///
    /// One statement without a transaction, as cheap as SQLite's pragma.
    public func changeCounter() throws -> Int64? {
        let result = try connection.query(PostgresSQL.walPosition)
        guard result.rowCount == 1 else { return nil }
        return result.optionalInt64(0, 0)
    }
}
