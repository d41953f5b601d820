import Foundation

/// Deleting, pruning and reaping builds of dead runners.
extension SQLiteStore {
    /// Deletes a finished build with its log, progress and inputs. Lineage
    /// rows of builds that consumed it stay, naming a build that is gone.
    ///
    /// - Throws: `.noSuchBuild`; `.refused` for a created or running build.
    public func deleteBuild(_ id: BuildID) throws {
        try connection.write {
            let status = try connection.using(SQLiteSQL.buildStatus) { statement in
                statement.bind(1, id)
                return try statement.step() ? statement.string(0) : nil
            }
            guard let status else { throw StoreError.noSuchBuild(id) }
            if status == BuildStatus.created.rawValue || status == BuildStatus.running.rawValue {
                throw StoreError.refused("build #\(id) is \(status) and cannot be deleted")
            }
            for sql in [SQLiteSQL.deleteLogOf, SQLiteSQL.deleteBuild] {
                try connection.using(sql) { statement in
                    statement.bind(1, id)
                    try statement.run()
                }
            }
        }
    }

    /// Deletes old finished builds (or only their log lines), never a
    /// created or running build, a job's newest `keep` builds, its latest
    /// build, latest successful build or last check, nor a build that a kept
    /// build consumed. One transaction; `vacuum` then compacts the file.
    // TODO(#3): pruning millions of rows holds the write lock for seconds in
    // that one transaction; other writers wait (up to a minute) meanwhile.
    public func prune(_ request: PruneRequest) throws -> PruneResult {
        let result = try connection.write {
            try connection.execute(SQLiteSQL.pruneCandidates)
            try connection.using(SQLiteSQL.fillPruneSet) { statement in
                statement.bind(1, request.olderThan)
                statement.bind(2, request.job)
                statement.bind(3, request.keep)
                try statement.run()
            }
            if request.logsOnly {
                let lines = try deletePrunedLogLines(atOrBelow: request.level)
                return PruneResult(buildsDeleted: 0, logLinesDeleted: lines)
            }
            if !request.exceptJobs.isEmpty {
                try connection.using(SQLiteSQL.spareJobs) { statement in
                    statement.bind(1, JSONText.array(request.exceptJobs.sorted()))
                    try statement.run()
                }
            }
            repeat {
                try connection.using(SQLiteSQL.keepConsumed) { try $0.run() }
            } while connection.changes > 0
            if request.dryRun {
                let jobs = try connection.using(SQLiteSQL.prunedJobs) { statement in
                    var jobs: Set<JobID> = []
                    while try statement.step() { jobs.insert(statement.string(0)) }
                    return jobs
                }
                let ids = try connection.using(SQLiteSQL.prunedIDsOf) { statement in
                    statement.bind(1, JSONText.array(request.listBuildsOf.sorted()))
                    var ids: [BuildID] = []
                    while try statement.step() { ids.append(statement.int64(0)) }
                    return ids
                }
                return PruneResult(buildsDeleted: 0, logLinesDeleted: 0, jobs: jobs, buildIDs: ids)
            }
            let lines = try connection.using(SQLiteSQL.countPrunedBuildsLogLines) { statement in
                try statement.step() ? statement.int(0) : 0
            }
            try connection.using(SQLiteSQL.deletePrunedBuildsLogs) { try $0.run() }
            let builds = try connection.using(SQLiteSQL.deletePruned) { statement in
                try statement.run()
                return connection.changes
            }
            return PruneResult(buildsDeleted: builds, logLinesDeleted: lines)
        }
        if request.vacuum {
            try connection.execute("VACUUM")
            try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        return result
    }

    /// Deletes the log lines of the builds in `temp.prune_set` at `level`
    /// and below (all when nil): chunks with only such lines go whole, the
    /// others are written again without them. Returns how many lines went.
    private func deletePrunedLogLines(atOrBelow level: LogLevel?) throws -> Int {
        let code = level.map(SQLiteStore.levelCode)
        var lines = try connection.using(SQLiteSQL.countPrunedLogLines) { statement in
            statement.bind(1, code)
            return try statement.step() ? statement.int(0) : 0
        }
        try connection.using(SQLiteSQL.deletePrunedLogs) { statement in
            statement.bind(1, code)
            try statement.run()
        }
        guard let level else { return lines }
        var mixed: [LogChunk] = []
        try connection.using(SQLiteSQL.mixedPrunedLogChunks) { statement in
            statement.bind(1, code)
            while try statement.step() {
                mixed.append(LogChunk(
                    build: statement.int64(0), firstSeq: statement.int64(1), lastSeq: 0, lineCount: 0,
                    minTime: 0, maxTime: 0, levels: statement.int(2), streams: 0, data: statement.blob(3) ?? []))
            }
        }
        for chunk in mixed {
            try connection.using(SQLiteSQL.deleteLogChunk) { statement in
                statement.bind(1, chunk.build)
                statement.bind(2, chunk.firstSeq)
                try statement.run()
            }
            let (kept, removed) = try chunk.removingLines(atOrBelow: level)
            lines += removed
            if let kept {
                try connection.using(SQLiteSQL.insertLogChunk) { try SQLiteStore.insert(kept, with: $0) }
            }
        }
        return lines
    }

    /// Fails every build left `running` on this host whose runner is dead
    /// (`RunnerLiveness`), after killing what is left of its process group.
    /// Its end time is the last moment it was known alive (its start, last
    /// log line, progress update or heartbeat), not the moment of reaping; its
    /// error says so: `runner died; last seen at 2026-05-28T20:26:40.300Z`.
    public func reapDeadRunners() throws -> [BuildID] {
        guard mode == .write else { return [] }
        return try connection.write {
            var reaped: [BuildID] = []
            for build in try deadRunnerRecords() {
                if let group = build.runner?.processGroup {
                    RunnerLiveness.killGroup(group)
                } else if let runner = build.runner {
                    RunnerLiveness.killUnrecordedProcesses(build: build.id, job: build.job, runner: runner)
                }
                let seen = try connection.using(SQLiteSQL.lastSeen) { statement in
                    statement.bind(1, build.id)
                    return try statement.step() ? statement.int64(0) : 0
                }
                let error = "runner died; last seen at \(JSONText.timestamp(SQLiteStatement.date(micros: seen)))"
                let result = BuildResult(status: .failed, failureKind: .runnerDied, error: error)
                try finish(build.id, result, at: seen)
                reaped.append(build.id)
            }
            return reaped
        }
    }

    public func markAlive(_ ids: [BuildID]) throws {
        guard !ids.isEmpty else { return }
        let now = SQLiteStatement.micros(clock())
        try connection.write {
            try connection.using(SQLiteSQL.markAlive) { statement in
                for id in ids {
                    statement.rewind()
                    statement.bind(1, id)
                    statement.bind(2, now)
                    try statement.run()
                }
            }
        }
    }

    /// The ids of builds left `running` on this host by a dead runner; in
    /// any mode (a read-only command asks before opening a writer to reap).
    public func deadRunnerBuilds() throws -> [BuildID] {
        try connection.read { try deadRunnerRecords().map(\.id) }
    }

    private func deadRunnerRecords() throws -> [BuildRecord] {
        try connection.using(SQLiteSQL.runningBuilds) { statement in
            statement.bind(1, RunnerLiveness.hostName)
            var records: [BuildRecord] = []
            while try statement.step() {
                let record = SQLiteStore.decodeBuild(statement)
                if let runner = record.runner, !RunnerLiveness.isAlive(runner) { records.append(record) }
            }
            return records
        }
    }
}
