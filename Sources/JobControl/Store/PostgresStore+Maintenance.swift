import Foundation

/// Deleting, pruning and reaping builds whose runner died or whose
/// worker's lease expired.
extension PostgresStore {
    /// Deletes a finished build with its log, progress and inputs.
    ///
    /// - Throws: `.noSuchBuild`; `.refused` for a created or running build.
    public func deleteBuild(_ id: BuildID) throws {
        try connection.transaction {
            let rows = try connection.query(PostgresSQL.buildStatus + " FOR UPDATE", [.int(id)])
            guard rows.rowCount > 0 else { throw StoreError.noSuchBuild(id) }
            let status = rows.string(0, 0)
            if status == BuildStatus.created.rawValue || status == BuildStatus.running.rawValue {
                throw StoreError.refused("build #\(id) is \(status) and cannot be deleted")
            }
            try connection.query(PostgresSQL.deleteBuild, [.int(id)])
        }
    }

    /// Same rules as `SQLiteStore.prune`; one transaction, then `VACUUM` if asked.
    public func prune(_ request: PruneRequest) throws -> PruneResult {
        let result: PruneResult = try connection.transaction {
            try connection.execute(PostgresSQL.pruneSet)
            try connection.query(
                PostgresSQL.fillPruneSet,
                [
                    .int(PostgresStore.micros(request.olderThan)), .string(request.job),
                    .int(request.keep),
                ])
            if request.logsOnly {
                let lines = try deletePrunedLogLines(atOrBelow: request.level)
                return PruneResult(buildsDeleted: 0, logLinesDeleted: lines)
            }
            if !request.exceptJobs.isEmpty {
                try connection.query(
                    PostgresSQL.spareJobs, [.string(JSONText.array(request.exceptJobs.sorted()))])
            }
            while try connection.query(PostgresSQL.keepConsumed).changes > 0 {}
            if request.dryRun {
                let jobRows = try connection.query(PostgresSQL.prunedJobs)
                let jobs = Set((0..<jobRows.rowCount).map { jobRows.string($0, 0) })
                let rows = try connection.query(
                    PostgresSQL.prunedIDsOf, [.string(JSONText.array(request.listBuildsOf.sorted()))])
                let ids = (0..<rows.rowCount).map { rows.int64($0, 0) }
                return PruneResult(buildsDeleted: 0, logLinesDeleted: 0, jobs: jobs, buildIDs: ids)
            }
            let lines = Int(try connection.query(PostgresSQL.countPrunedBuildsLogLines).int64(0, 0))
            let builds = try connection.query(PostgresSQL.deletePruned).changes
            return PruneResult(buildsDeleted: builds, logLinesDeleted: lines)
        }
        if request.vacuum {
            try connection.execute("VACUUM log, progress, build_inputs, builds")
        }
        return result
    }

    /// Deletes the log lines of the builds in `prune_set` at `level` and
    /// below (all when nil): chunks with only such lines go whole, the
    /// others are written again without them. Returns how many lines went.
    private func deletePrunedLogLines(atOrBelow level: LogLevel?) throws -> Int {
        let code = level.map(PostgresStore.levelCode)
        let deleted = try connection.query(PostgresSQL.deletePrunedLogs, [.int(code)])
        var lines = (0..<deleted.rowCount).reduce(0) { $0 + Int(deleted.int64($1, 0)) }
        guard let level else { return lines }
        let mixed = try connection.query(PostgresSQL.takeMixedPrunedLogChunks, [.int(code)])
        for row in 0..<mixed.rowCount {
            let chunk = LogChunk(
                build: mixed.int64(row, 0), firstSeq: mixed.int64(row, 1), lastSeq: 0, lineCount: 0,
                minTime: 0, maxTime: 0, levels: Int(mixed.int64(row, 2)), streams: 0,
                data: mixed.bytes(row, 3) ?? [])
            let (kept, removed) = try chunk.removingLines(atOrBelow: level)
            lines += removed
            if let kept {
                try connection.query(PostgresSQL.reinsertLogChunk, PostgresStore.parameters(of: kept))
            }
        }
        return lines
    }

    /// Records that the running builds `ids` are alive now (the recorder's
    /// heartbeat, about once a second): one statement.
    public func markAlive(_ ids: [BuildID]) throws {
        guard !ids.isEmpty else { return }
        try connection.query(
            PostgresSQL.markAlive, [.intArray(ids), .int(PostgresStore.micros(clock()))])
    }

    /// The builds `reapDeadRunners` would fail, in any mode, without
    /// changing anything: queued builds whose lease ended, and builds run
    /// outside the queue on this host whose runner is gone. A read-only
    /// command that finds some reaps them through a writer of its own
    /// (`StoreLocation.reapDeadRunners`), as on SQLite: `status` showed a
    /// local run killed with `kill -9` as `running` until a command wrote.
    public func deadRunnerBuilds() throws -> [BuildID] {
        var dead: [BuildID] = []
        let expired = try connection.query(PostgresQueueSQL.expiredLeaseIDs)
        for row in 0..<expired.rowCount { dead.append(expired.int64(row, 0)) }
        let local = try connection.query(
            PostgresSQL.localRunningBuildsToCheck, [.text(RunnerLiveness.hostName)])
        for build in PostgresStore.decodeBuilds(local) {
            if let runner = build.runner, !RunnerLiveness.isAlive(runner) { dead.append(build.id) }
        }
        return dead.sorted()
    }

    /// Fails (`runner_died`) every queued build whose worker's lease ended,
    /// queueing a retry when its job allows one, and every build run outside
    /// the queue on this host whose runner is gone (`RunnerLiveness`),
    /// killing what is left of their process groups on this host.
    public func reapDeadRunners() throws -> [BuildID] {
        guard mode == .write else { return [] }
        let now = PostgresStore.micros(clock())
        return try connection.transaction {
            var reaped: [BuildID] = []
            let expired = PostgresStore.decodeBuilds(
                try connection.query(PostgresQueueSQL.expiredLeases))
            for build in expired {
                if let runner = build.runner, runner.host == RunnerLiveness.hostName,
                    !RunnerLiveness.isAlive(runner)
                {
                    if let group = runner.processGroup {
                        RunnerLiveness.killGroup(group)
                    } else {
                        // Killed before its start was written (see `Worker`).
                        RunnerLiveness.killUnrecordedProcesses(
                            build: build.id, job: build.job, runner: runner)
                    }
                }
                // Ended when last seen alive, as a local build is: not when
                // the lease ran out (a tester's build killed 4 s in showed
                // "runner died in 19.0s" with a 15 s lease).
                let seen = try connection.query(PostgresSQL.lastSeen, [.int(build.id)]).int64(0, 0)
                let result = BuildResult(
                    status: .failed, failureKind: .runnerDied,
                    error: "runner died (its lease expired); last seen at \(JSONText.timestamp(PostgresStore.date(seen)))")
                if let record = try finish(build.id, result, at: min(seen, now)) {
                    try afterQueuedBuild(record, at: now)
                    reaped.append(build.id)
                }
            }
            let local = try connection.query(
                PostgresSQL.localRunningBuilds, [.text(RunnerLiveness.hostName)])
            for build in PostgresStore.decodeBuilds(local) {
                guard let runner = build.runner, !RunnerLiveness.isAlive(runner) else { continue }
                if let group = runner.processGroup { RunnerLiveness.killGroup(group) }
                // Ended when last seen alive, as the SQLite store does.
                let seen = try connection.query(PostgresSQL.lastSeen, [.int(build.id)]).int64(0, 0)
                let error = "runner died; last seen at \(JSONText.timestamp(PostgresStore.date(seen)))"
                let result = BuildResult(status: .failed, failureKind: .runnerDied, error: error)
                if try finish(build.id, result, at: seen) != nil { reaped.append(build.id) }
            }
            return reaped
        }
    }
}
