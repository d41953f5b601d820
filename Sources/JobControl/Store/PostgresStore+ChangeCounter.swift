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

extension PostgresStore {
    /// PostgreSQL has no counter of other processes' commits
    /// (`othersChangeCounter` is nil), so its hand-over write compares the
    /// jobs' stamps instead, in the same statement.
    public var checksStatesInWrite: Bool { true }

    /// Ends `id` and creates `next` in one statement (one round trip) when
    /// the jobs of `expected` stand as their stamps say once `id` ended and
    /// none has a created or running build; else ends `id` alone and
    /// returns nil. A failed build's queue follow-up (a retry, failed
    /// dependents) is written in the same transaction, as `finishBuild` does.
    ///
    /// - Throws: `.refused` when `id` is not created or running (nothing
    ///   is stored then).
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild, ifStatesAre expected: [JobStamp]
    ) throws -> BuildRecord? {
        guard result.status.isFinished else {
            throw StoreError.refused("build #\(id) cannot finish as '\(result.status.rawValue)'")
        }
        let now = PostgresStore.micros(clock())
        let running = next.status == .running
        let runner: RunnerIdentity? = running ? .current() : nil
        var parameters: [PostgresValue] = [
            .int(id), .text(result.status.rawValue), .string(result.failureKind?.rawValue),
            .int(result.exitCode), .string(result.signal), .string(result.error),
            .string(result.status == .successful ? result.retval : nil),
            .int(result.finishedAt.map(PostgresStore.micros) ?? now),
            .text(next.job), .text(next.status.rawValue), .int(next.attempt), .text(next.reason),
            .text(next.trigger), .text(next.configHash), .text(next.configSnapshot), .int(now),
            .int(running ? now : nil), .string(runner?.host), .int(runner?.pid),
            .int(runner.map { Int64(bitPattern: $0.processStart) }),
        ]
        parameters.append(.textArray(expected.map(\.job)))
        parameters.append(.intArray(expected.map { $0.latest ?? 0 }))
        parameters.append(.intArray(expected.map { $0.latestSuccessful ?? 0 }))
        parameters.append(.intArray(expected.map { $0.lastCheck ?? 0 }))
        parameters.append(.textArray(next.inputs.map(\.dependency)))
        parameters.append(.intArray(next.inputs.map(\.consumed)))
        parameters.append(.optionalTextArray(next.inputs.map(\.retval)))
        parameters.append(.text("{" + next.inputs.map { $0.pinned ? "t" : "f" }.joined(separator: ",") + "}"))
        let write = { [self] () throws -> BuildRecord? in
            let rows = try connection.query(PostgresSQL.finishThenCreateIfUnchanged, parameters)
            guard rows.rowCount > 0 else { try refuseChange(of: id, doing: "finish") }
            if result.status == .failed {
                try afterQueuedBuild(PostgresStore.decodeBuild(rows, 0), at: now)
            } else if rows.bool(0, PostgresStore.buildColumnCount) {
                try connection.query(PostgresQueueSQL.notify)
            }
            let made = PostgresStore.buildColumnCount + 1
            return rows.isNull(0, made) ? nil : PostgresStore.decodeBuild(rows, 0, from: made)
        }
        // A running build can end in one statement; a failure's follow-up needs a transaction.
        return result.status == .failed ? try connection.transaction(write) : try write()
    }
}
