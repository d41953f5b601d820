import CSQLite

extension SQLiteStore {
    /// `PRAGMA data_version` (bumped by every commit of another connection or
    /// process) in the high bits and this connection's own row changes in the
    /// low 32 bits: different whenever the store changed, at the cost of one
    /// pragma and no read transaction.
    public func changeCounter() throws -> Int64? {
        let others = try connection.integer("PRAGMA data_version") ?? 0
        let own = sqlite3_total_changes64(connection.handle) & 0xffff_ffff
        return others << 32 | own
    }

    /// `PRAGMA data_version`: bumped by every commit of another connection
    /// or process, never by this connection's own.
    public func othersChangeCounter() throws -> Int64? {
        try connection.integer("PRAGMA data_version")
    }

    /// The combined write, with `data_version` read inside it: the write
    /// transaction already holds the read lock that the pragma alone takes
    /// and drops (two `fcntl` calls per build otherwise).
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild, ifOthersCounterIs counter: Int64
    ) throws -> BuildRecord? {
        try finishBuild(id, result: result, thenCreate: next) {
            try connection.integer("PRAGMA data_version") == counter
        }
    }
}
