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

extension SQLiteStore {
    /// The combined write, when each job of `expected` stands in
    /// `job_summary` as its stamp says once `id` ended, with no created or
    /// running build (read inside the
    /// write transaction). The scheduler uses the cheaper counter on
    /// SQLite; this keeps the two stores' contract the same.
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild, ifStatesAre expected: [JobStamp]
    ) throws -> BuildRecord? {
        try finishBuild(id, result: result, thenCreate: next) {
            try expected.allSatisfy { wanted in
                var idle = wanted
                idle.isRunning = false
                return try stamp(of: wanted.job) == idle
            }
        }
    }

    /// The stamp `job_summary` holds for `job`, inside the caller's transaction.
    private func stamp(of job: JobID) throws -> JobStamp {
        try connection.using(SQLiteSQL.jobStateIDs) { statement in
            statement.bind(1, job)
            guard try statement.step() else { return JobStamp(job: job) }
            let successful = statement.optionalInt64(1)
            return JobStamp(
                job: job, latest: statement.optionalInt64(0), latestSuccessful: successful,
                lastCheck: statement.optionalInt64(2) ?? successful, isRunning: statement.int64(3) != 0)
        }
    }
}
