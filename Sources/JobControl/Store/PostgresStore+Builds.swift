import Foundation

/// The life cycle of a build and the queries on builds, logs and progress,
/// with the same rules as the SQLite store's.
extension PostgresStore {
    // MARK: Life cycle

    /// Stores a new build with its inputs. A build created `running` records
    /// this process as its runner.
    public func createBuild(_ build: NewBuild) throws -> BuildRecord {
        let now = PostgresStore.micros(clock())
        let running = build.status == .running
        let runner: RunnerIdentity? = running ? .current() : nil
        return try connection.transaction {
            let result = try connection.query(
                PostgresSQL.insertBuild,
                [
                    .text(build.job), .text(build.status.rawValue), .int(build.attempt),
                    .text(build.reason), .text(build.trigger), .text(build.configHash),
                    .text(build.configSnapshot), .int(now), .int(running ? now : nil),
                    .string(runner?.host), .int(runner?.pid),
                    .int(runner.map { Int64(bitPattern: $0.processStart) }),
                ])
            let record = PostgresStore.decodeBuild(result, 0)
            try insertInputs(build.inputs, of: record.id)
            return record
        }
    }

    func insertInputs(_ inputs: [BuildInput], of build: BuildID) throws {
        for input in inputs {
            try connection.query(
                PostgresSQL.insertInput,
                [
                    .int(build), .text(input.dependency), .int(input.consumed),
                    .string(input.retval),
                    .bool(input.pinned),
                ])
        }
    }

    /// Marks a created build running under `runner`; again for a running
    /// build, updates the runner and keeps the start time.
    ///
    /// - Throws: `.noSuchBuild`, `.refused` for a finished build.
    public func markStarted(_ id: BuildID, runner: RunnerIdentity) throws {
        let now = PostgresStore.micros(clock())
        let result = try connection.query(
            PostgresSQL.markStarted,
            [
                .int(id), .int(now), .text(runner.host), .int(runner.pid),
                .int(Int64(bitPattern: runner.processStart)), .int(runner.processGroup),
            ])
        if result.changes == 0 { try refuseChange(of: id, doing: "start") }
    }

    /// Ends a created or running build. A queued build that failed is
    /// retried (a new attempt is queued) when its job allows it, or else
    /// fails its queued dependents with kind `dependency_failed`.
    ///
    /// - Throws: `.refused` when `result.status` is not a finished status or
    ///   the build has finished already (a worker whose lease was taken
    ///   over); `.noSuchBuild`.
    public func finishBuild(_ id: BuildID, result: BuildResult) throws {
        guard result.status.isFinished else {
            throw StoreError.refused("build #\(id) cannot finish as '\(result.status.rawValue)'")
        }
        let now = PostgresStore.micros(clock())

        // Not failed: one statement, and a notification when queued builds wait for it.
        if result.status != .failed {
            let rows = try connection.query(
                PostgresSQL.finishBuildReturningWaiters, finishParameters(id, result, at: now))
            guard rows.rowCount > 0 else { try refuseChange(of: id, doing: "finish") }
            if rows.bool(0, 1) { try connection.query(PostgresQueueSQL.notify) }
            return
        }

        // Failed: a retry, or failed dependents, in the same transaction.
        let finished: Bool = try connection.transaction {
            guard let record = try finish(id, result, at: now) else { return false }
            try afterQueuedBuild(record, at: now)
            return true
        }
        if !finished { try refuseChange(of: id, doing: "finish") }
    }

    /// The finishing update; nil when the build was not created or running.
    func finish(_ id: BuildID, _ result: BuildResult, at now: Int64) throws -> BuildRecord? {
        let rows = try connection.query(PostgresSQL.finishBuild, finishParameters(id, result, at: now))
        return rows.rowCount == 0 ? nil : PostgresStore.decodeBuild(rows, 0)
    }

    private func finishParameters(_ id: BuildID, _ result: BuildResult, at now: Int64) -> [PostgresValue] {
        [
            .int(id), .text(result.status.rawValue), .string(result.failureKind?.rawValue),
            .int(result.exitCode), .string(result.signal), .string(result.error),
            .string(result.status == .successful ? result.retval : nil),
            .int(result.finishedAt.map(PostgresStore.micros) ?? now),
        ]
    }

    /// Throws why an update of `id` changed nothing.
    func refuseChange(of id: BuildID, doing action: String) throws -> Never {
        let rows = try connection.query(PostgresSQL.buildStatus, [.int(id)])
        guard rows.rowCount > 0 else { throw StoreError.noSuchBuild(id) }
        throw StoreError.refused(
            "cannot \(action) build #\(id): it is already \(rows.string(0, 0))")
    }

    /// Stores log entries in one transaction, as chunks; `seq` must be new
    /// for its build.
    public func appendLogs(_ entries: [LogEntry]) throws {
        try appendLogChunks(LogChunk.encode(entries))
    }

    /// Stores chunks in one transaction: one INSERT (one round trip) each.
    ///
    /// - Throws: `.refused` when a chunk does not start above the last line
    ///   stored for its build (nothing is stored then).
    public func appendLogChunks(_ chunks: [LogChunk]) throws {
        guard !chunks.isEmpty else { return }
        try connection.transaction {
            for chunk in chunks {
                let inserted = try connection.query(
                    PostgresSQL.insertLogChunk, PostgresStore.parameters(of: chunk))
                if inserted.changes == 0 {
                    throw StoreError.refused(
                        "build #\(chunk.build): log line \(chunk.firstSeq) is stored already")
                }
            }
        }
    }

    /// The parameters of `PostgresSQL.insertLogChunk` and `reinsertLogChunk`.
    static func parameters(of chunk: LogChunk) -> [PostgresValue] {
        [
            .int(chunk.build), .int(chunk.firstSeq), .int(chunk.lastSeq), .int(chunk.lineCount),
            .int(chunk.minTime), .int(chunk.maxTime), .int(chunk.levels), .int(chunk.streams),
            .bytes(chunk.data),
        ]
    }

    /// Upserts progress nodes in one transaction: one row per (build, group).
    public func saveProgress(_ nodes: [ProgressRecord]) throws {
        guard !nodes.isEmpty else { return }
        try connection.transaction {
            for node in nodes {
                try connection.query(
                    PostgresSQL.upsertProgress,
                    [
                        .int(node.build), .text(ProgressPath.encode(node.group)),
                        .int(node.current),
                        .int(node.total), .string(node.status),
                        .int(PostgresStore.micros(node.updatedAt)),
                    ])
            }
        }
    }

    // MARK: Queries

    public func build(_ id: BuildID) throws -> BuildRecord? {
        let rows = try connection.query(PostgresSQL.buildByID, [.int(id)])
        return rows.rowCount == 0 ? nil : PostgresStore.decodeBuild(rows, 0)
    }

    public func builds(_ query: BuildQuery) throws -> [BuildRecord] {
        let sql = PostgresSQL.builds(
            job: query.job != nil, status: query.status != nil, since: query.since != nil,
            limit: query.limit != nil, newestFirst: query.newestFirst, offset: query.offset > 0)
        var parameters: [PostgresValue] = []
        if let job = query.job { parameters.append(.text(job)) }
        if let status = query.status { parameters.append(.text(status.rawValue)) }
        if let since = query.since { parameters.append(.int(PostgresStore.micros(since))) }
        if let limit = query.limit { parameters.append(.int(limit)) }
        if query.offset > 0 { parameters.append(.int(query.offset)) }
        return PostgresStore.decodeBuilds(try connection.query(sql, parameters))
    }

    /// One query for the ids of every job, one for the records they name,
    /// one for the last checks' inputs: three round trips however many jobs.
    public func jobStates(_ jobs: [JobID]) throws -> [JobID: JobState] {
        guard !jobs.isEmpty else { return [:] }
        return try connection.transaction {
            let ids = try connection.query(PostgresSQL.jobStateIDs, [.textArray(jobs)])
            var wanted: Set<BuildID> = []
            for row in 0..<ids.rowCount {
                for column in 1...3 {
                    if let id = ids.optionalInt64(row, column) { wanted.insert(id) }
                }
            }
            guard !wanted.isEmpty else { return [:] }
            let records = try connection.query(PostgresSQL.buildsByID, [.intArray(wanted.sorted())])
            var byID: [BuildID: BuildRecord] = [:]
            for record in PostgresStore.decodeBuilds(records) { byID[record.id] = record }
            var checks: [BuildID] = []
            var states: [JobID: JobState] = [:]
            for row in 0..<ids.rowCount {
                guard let latestID = ids.optionalInt64(row, 1), let latest = byID[latestID] else {
                    continue
                }
                var successful: BuildRecord?, check: BuildRecord?
                if let successfulID = ids.optionalInt64(row, 2) {
                    successful = byID[successfulID]
                    check = byID[ids.optionalInt64(row, 3) ?? successfulID]
                    if let check { checks.append(check.id) }
                }
                states[ids.string(row, 0)] = JobState(
                    latest: latest, latestSuccessful: successful, lastCheck: check,
                    isRunning: ids.bool(row, 4), queuedOnly: ids.bool(row, 4) && !ids.bool(row, 5))
            }
            let unfinished = states.compactMap { $0.value.latest?.status.isFinished == false ? $0.key : nil }
            if !unfinished.isEmpty {
                let rows = try connection.query(PostgresSQL.latestFinishedOf, [.textArray(unfinished.sorted())])
                for record in PostgresStore.decodeBuilds(rows) { states[record.job]?.latestFinished = record }
            }
            guard !checks.isEmpty else { return states }
            let inputs = try connection.query(PostgresSQL.inputsOfMany, [.intArray(checks)])
            var byBuild: [BuildID: [BuildInput]] = [:]
            for input in PostgresStore.decodeInputs(inputs) {
                byBuild[input.build, default: []].append(input)
            }
            for (job, state) in states {
                guard let check = state.lastCheck else { continue }
                states[job]?.lastCheckInputs = byBuild[check.id] ?? []
            }
            return states
        }
    }

    /// The chunks are fetched a few at a time, so a tail of a long log
    /// reads only its last chunks.
    public func logs(_ query: LogQuery) throws -> [LogEntry] {
        var selection = LogSelection(query)
        let sql = PostgresSQL.logs(descending: selection.fromEnd)
        var boundary: Int64?
        var page = 4
        while !selection.isComplete {
            let rows = try connection.query(
                sql,
                [
                    .int(query.build), .int(query.afterSeq ?? 0),
                    .int(query.minimumLevel.map(PostgresStore.levelCode)),
                    .int(query.stream.map(PostgresStore.streamCode)),
                    .int(query.since.map(PostgresStore.micros)),
                    .int(query.until.map(PostgresStore.micros)), .int(page), .int(boundary),
                ])
            for row in 0..<rows.rowCount where !selection.isComplete {
                try (rows.bytes(row, 0) ?? []).withUnsafeBufferPointer { try selection.add($0) }
            }
            guard rows.rowCount == page else { break }
            boundary = rows.int64(page - 1, 1)
            page = min(page * 4, 256)
        }
        return selection.result
    }

    public func progress(of build: BuildID) throws -> [ProgressRecord] {
        let rows = try connection.query(PostgresSQL.progressOf, [.int(build)])
        return (0..<rows.rowCount).map { row in
            ProgressRecord(
                build: rows.int64(row, 0), group: ProgressPath.decode(rows.string(row, 1)),
                current: Int(rows.int64(row, 2)), total: rows.optionalInt64(row, 3).map { Int($0) },
                status: rows.optionalString(row, 4),
                updatedAt: PostgresStore.date(rows.int64(row, 5)))
        }
    }

    public func inputs(of build: BuildID) throws -> [BuildInput] {
        PostgresStore.decodeInputs(try connection.query(PostgresSQL.inputsOf, [.int(build)]))
    }

    public func consumers(of build: BuildID) throws -> [BuildInput] {
        PostgresStore.decodeInputs(try connection.query(PostgresSQL.consumersOf, [.int(build)]))
    }

    // MARK: Codes

    static func levelCode(_ level: LogLevel) -> Int64 { SQLiteStore.levelCode(level) }

    static func streamCode(_ stream: LogStream) -> Int64 { SQLiteStore.streamCode(stream) }

    static let levels: [Int: LogLevel] = [
        0: .debug, 1: .info, 2: .warning, 3: .error, 4: .critical,
    ]
    static let streams: [Int: LogStream] = [0: .stdout, 1: .stderr, 2: .jcrun, 3: .log]
}
