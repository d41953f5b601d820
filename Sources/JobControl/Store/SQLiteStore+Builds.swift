import CSQLite
import Foundation

/// The life cycle of a build and the queries on builds, logs and progress.
extension SQLiteStore {
    // MARK: Life cycle

    /// Stores a new build with its inputs. A build created `running` records
    /// this process as its runner, so that it is reaped if jcrun dies before
    /// `markStarted`: one write transaction, one row written once.
    public func createBuild(_ build: NewBuild) throws -> BuildRecord {
        let now = SQLiteStatement.micros(clock())
        let (record, next) = try connection.write { try insertReserving(build, at: now) }
        reservation = next
        return record
    }

    /// Ends build `id` and creates `next` in one write transaction: the
    /// pages both change (the row's leaf, the status index, `job_summary`)
    /// are written once, and the WAL is locked and committed once instead
    /// of twice. Nothing is stored when it throws.
    ///
    /// - Throws: what `finishBuild` and `createBuild` throw.
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild
    ) throws -> BuildRecord {
        guard let record = try finishBuild(id, result: result, thenCreate: next, when: { true })
        else { throw StoreError.engine(message: "build #\(id): the next build was not created") }
        return record
    }

    /// Ends build `id`, then creates `next` in the same transaction when
    /// `condition` (asked inside it) holds; nil when it does not.
    func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild, when condition: () throws -> Bool
    ) throws -> BuildRecord? {
        guard result.status.isFinished else {
            throw StoreError.refused("build #\(id) cannot finish as '\(result.status.rawValue)'")
        }
        let now = SQLiteStatement.micros(clock())
        let made: (BuildRecord, BuildReservation?)? = try connection.write {
            try finish(id, result, at: now)
            if connection.changes == 0 { try refuseChange(of: id, doing: "finish") }
            guard try condition() else { return nil }
            return try insertReserving(next, at: now)
        }
        guard let (record, next) = made else { return nil }
        reservation = next
        return record
    }

    /// Inserts `build` as `insert` does, with the reserved id while it is
    /// the newest handed out, and reserves the next when ids are kept
    /// reserved; the caller keeps that reservation once committed.
    func insertReserving(_ build: NewBuild, at now: Int64) throws -> (BuildRecord, BuildReservation?) {
        var id: BuildID?
        if let held = reservation, try connection.integer(SQLiteSQL.buildSequence) == held.id {
            id = held.id
        }
        let record = try insert(build, at: now, id: id)
        return (record, keepsReservation ? try reserveNextID() : nil)
    }

    /// Inserts `build` and its inputs, inside the caller's transaction,
    /// with `id` (reserved) or the next one, run by `runner` when given.
    func insert(
        _ build: NewBuild, at now: Int64, id reserved: BuildID? = nil, runner given: RunnerIdentity? = nil
    ) throws -> BuildRecord {
        let runner: RunnerIdentity? = given ?? (build.status == .running ? .current() : nil)
        let id = try connection.using(SQLiteSQL.insertBuild) { statement in
            statement.bind(1, build.job)
            statement.bind(2, build.status.rawValue)
            statement.bind(3, build.attempt)
            statement.bind(4, build.reason)
            statement.bind(5, build.trigger)
            statement.bind(6, build.configHash)
            statement.bind(7, build.configSnapshot)
            statement.bind(8, now)
            statement.bind(9, runner != nil ? now : nil)
            statement.bind(10, runner?.host)
            statement.bind(11, runner?.pid)
            statement.bind(12, runner.map { Int64(bitPattern: $0.processStart) })
            statement.bind(13, reserved)
            statement.bind(14, runner?.processGroup)
            guard try statement.step() else {
                throw StoreError.engine(message: "\(path): the new build row was not returned")
            }
            return statement.int64(0)
        }
        try insertInputs(build.inputs, of: id)
        // The row as `decodeBuild` would read it back (times at the stored µs).
        let time = SQLiteStatement.date(micros: now)
        return BuildRecord(
            id: id, job: build.job, status: build.status, attempt: build.attempt,
            reason: build.reason, trigger: build.trigger, configHash: build.configHash,
            configSnapshot: build.configSnapshot, createdAt: time,
            startedAt: runner != nil ? time : nil, runner: runner)
    }

    private func insertInputs(_ inputs: [BuildInput], of build: BuildID) throws {
        try connection.using(SQLiteSQL.insertInput) { statement in
            for input in inputs {
                statement.rewind()
                statement.bind(1, build)
                statement.bind(2, input.dependency)
                statement.bind(3, input.consumed)
                statement.bind(4, input.retval)
                statement.bind(5, input.pinned)
                try statement.run()
            }
        }
    }

    /// Marks a created build running under `runner`. Calling it again for a
    /// running build updates the runner (to add the process group once the
    /// child exists) and keeps the start time.
    ///
    /// - Throws: `.noSuchBuild`, `.refused` for a finished build.
    public func markStarted(_ id: BuildID, runner: RunnerIdentity) throws {
        let now = SQLiteStatement.micros(clock())
        try connection.write {
            try recordRunner(id, runner, at: now, sql: SQLiteSQL.updateRunner)
            if connection.changes > 0 { return }
            try recordRunner(id, runner, at: now, sql: SQLiteSQL.markStarted)
            if connection.changes == 0 { try refuseChange(of: id, doing: "start") }
        }
    }

    private func recordRunner(_ id: BuildID, _ runner: RunnerIdentity, at now: Int64, sql: String) throws {
        try connection.using(sql) { statement in
            statement.bind(1, id)
            statement.bind(2, now)
            statement.bind(3, runner.host)
            statement.bind(4, runner.pid)
            statement.bind(5, Int64(bitPattern: runner.processStart))
            statement.bind(6, runner.processGroup)
            try statement.run()
        }
    }

    /// Ends a created or running build.
    ///
    /// - Throws: `.refused` when `result.status` is not a finished status or
    ///   the build has finished already; `.noSuchBuild`.
    public func finishBuild(_ id: BuildID, result: BuildResult) throws {
        guard result.status.isFinished else {
            throw StoreError.refused("build #\(id) cannot finish as '\(result.status.rawValue)'")
        }
        let now = SQLiteStatement.micros(clock())
        try connection.write {
            try finish(id, result, at: now)
            if connection.changes == 0 { try refuseChange(of: id, doing: "finish") }
            try giveBackReservation()  // the last build of a serial run: same transaction
        }
        if !keepsReservation { reservation = nil }
    }

    func finish(_ id: BuildID, _ result: BuildResult, at now: Int64) throws {
        try connection.using(SQLiteSQL.finishBuild) { statement in
            statement.bind(1, id)
            statement.bind(2, result.status.rawValue)
            statement.bind(3, result.failureKind?.rawValue)
            statement.bind(4, result.exitCode)
            statement.bind(5, result.signal)
            statement.bind(6, result.error)
            statement.bind(7, result.status == .successful ? result.retval : nil)
            statement.bind(8, result.finishedAt.map(SQLiteStatement.micros) ?? now)
            try statement.run()
        }
    }

    /// Throws why an update of `id` changed nothing.
    func refuseChange(of id: BuildID, doing action: String) throws -> Never {
        guard let status = try connection.using(SQLiteSQL.buildStatus, { statement in
            statement.bind(1, id)
            return try statement.step() ? statement.string(0) : nil
        }) else { throw StoreError.noSuchBuild(id) }
        throw StoreError.refused("cannot \(action) build #\(id): it is already \(status)")
    }

    /// Stores log entries in one transaction, as chunks; `seq` must be new
    /// for its build.
    public func appendLogs(_ entries: [LogEntry]) throws {
        try appendLogChunks(LogChunk.encode(entries))
    }

    /// Stores chunks in one transaction, one row each.
    ///
    /// - Throws: `.refused` when a chunk does not start above the last line
    ///   stored for its build (nothing is stored then).
    public func appendLogChunks(_ chunks: [LogChunk]) throws {
        guard !chunks.isEmpty else { return }
        try connection.write {
            let last = try connection.statement(SQLiteSQL.lastLogSeq)
            defer { last.rewind() }
            try connection.using(SQLiteSQL.insertLogChunk) { statement in
                for chunk in chunks {
                    last.rewind()
                    last.bind(1, chunk.build)
                    if try last.step(), last.int64(0) >= chunk.firstSeq {
                        throw StoreError.refused(
                            "build #\(chunk.build): log line \(chunk.firstSeq) is stored already")
                    }
                    statement.rewind()
                    try SQLiteStore.insert(chunk, with: statement)
                }
            }
        }
        // The written pages would stay in the page cache (up to 16 MB): a
        // build printing megabytes would grow jcrun by as much. Full chunks
        // are not read again soon; the next statement reloads what it needs.
        if chunks.count > 1 || chunks[0].data.count >= LogChunkEncoder.targetSize / 2 {
            sqlite3_db_release_memory(connection.handle)
        }
    }

    /// Inserts one chunk with `SQLiteSQL.insertLogChunk`.
    static func insert(_ chunk: LogChunk, with statement: SQLiteStatement) throws {
        statement.bind(1, chunk.build)
        statement.bind(2, chunk.firstSeq)
        statement.bind(3, chunk.lastSeq)
        statement.bind(4, chunk.lineCount)
        statement.bind(5, chunk.minTime)
        statement.bind(6, chunk.maxTime)
        statement.bind(7, chunk.levels)
        statement.bind(8, chunk.streams)
        try statement.step(bindingBlob: chunk.data, at: 9)
    }

    /// Upserts progress nodes in one transaction: one row per (build, group).
    public func saveProgress(_ nodes: [ProgressRecord]) throws {
        guard !nodes.isEmpty else { return }
        try connection.write {
            try connection.using(SQLiteSQL.upsertProgress) { statement in
                for node in nodes {
                    statement.rewind()
                    statement.bind(1, node.build)
                    statement.bind(2, ProgressPath.encode(node.group))
                    statement.bind(3, node.current)
                    statement.bind(4, node.total)
                    statement.bind(5, node.status)
                    statement.bind(6, node.updatedAt)
                    try statement.run()
                }
            }
        }
    }

    // MARK: Queries

    public func build(_ id: BuildID) throws -> BuildRecord? {
        try connection.read {
            try connection.using(SQLiteSQL.buildByID) { statement in
                statement.bind(1, id)
                return try statement.step() ? SQLiteStore.decodeBuild(statement) : nil
            }
        }
    }

    public func builds(_ query: BuildQuery) throws -> [BuildRecord] {
        let sql = SQLiteSQL.builds(
            job: query.job != nil, status: query.status != nil, since: query.since != nil,
            newestFirst: query.newestFirst)
        return try connection.read { try connection.using(sql) { statement in
            if let job = query.job { statement.bind(1, job) }
            if let status = query.status { statement.bind(2, status.rawValue) }
            if let since = query.since { statement.bind(3, since) }
            statement.bind(4, query.limit ?? -1)
            statement.bind(5, max(0, query.offset))
            var records: [BuildRecord] = []
            while try statement.step() { records.append(SQLiteStore.decodeBuild(statement)) }
            return records
        } }
    }

    /// One probe of `job_summary` per job plus the records it names, in one
    /// snapshot. The statements are looked up once, not once per job. For
    /// many jobs, two walks over every job's summary cost less than a probe
    /// each (10,000 jobs: about half).
    public func jobStates(_ jobs: [JobID]) throws -> [JobID: JobState] {
        if jobs.count >= SQLiteStore.jobCountForOneWalk {
            return try connection.read {
                var states = try everyJobState(of: Set(jobs))
                try addLatestFinished(to: &states)
                return states
            }
        }
        return try connection.read {
            let reader = JobStateReader(
                ids: try connection.statement(SQLiteSQL.jobStateIDs),
                build: try connection.statement(SQLiteSQL.buildByID),
                inputs: try connection.statement(SQLiteSQL.inputsOf))
            defer { reader.rewind() }
            var states: [JobID: JobState] = [:]
            states.reserveCapacity(jobs.count)
            for job in jobs {
                guard let state = try reader.state(of: job) else { continue }
                states[job] = state
            }
            try addLatestFinished(to: &states)
            return states
        }
    }

    /// Sets `latestFinished` where the latest build is unfinished (rare: a
    /// build is going on), inside `jobStates`' read transaction.
    private func addLatestFinished(to states: inout [JobID: JobState]) throws {
        for (job, state) in states {
            guard let latest = state.latest, !latest.status.isFinished else { continue }
            try connection.using(SQLiteSQL.latestFinishedOf) { statement in
                statement.bind(1, job)
                states[job]?.latestFinished = try statement.step() ? SQLiteStore.decodeBuild(statement) : nil
            }
        }
    }

    /// From this many jobs on, `jobStates` walks every summary.
    static let jobCountForOneWalk = 256

    /// Every wanted job's state from one row per job (`SQLiteSQL.everyJobState`),
    /// each build decoded once, and the last checks' inputs from one more walk.
    private func everyJobState(of wanted: Set<JobID>) throws -> [JobID: JobState] {
        var inputs: [BuildID: [BuildInput]] = [:]
        try connection.using(SQLiteSQL.everyLastCheckInputs) { statement in
            while try statement.step() {
                let input = BuildInput(
                    build: statement.int64(0), dependency: statement.string(1),
                    consumed: statement.int64(2), retval: statement.optionalString(3),
                    pinned: statement.int64(4) != 0)
                inputs[input.build, default: []].append(input)
            }
        }
        var states: [JobID: JobState] = [:]
        states.reserveCapacity(wanted.count)
        try connection.using(SQLiteSQL.everyJobState) { row in
            let width = Int32(20)
            while try row.step() {
                let job = row.string(0)
                guard wanted.contains(job) else { continue }
                let latest = SQLiteStore.decodeBuild(row, at: 4)
                guard let successfulID = row.optionalInt64(2) else {
                    states[job] = JobState(latest: latest, isRunning: row.int64(1) != 0)
                    continue
                }
                // The newest successful-or-skipped build is at least as new as the success.
                let checkID = row.optionalInt64(3) ?? successfulID
                func build(_ id: BuildID, at first: Int32) -> BuildRecord? {
                    row.isNull(first) ? nil : SQLiteStore.decodeBuild(row, at: first)
                }
                let successful = successfulID == latest.id ? latest : build(successfulID, at: 4 + width)
                let check = checkID == latest.id ? latest
                    : checkID == successfulID ? successful : build(checkID, at: 4 + 2 * width)
                states[job] = JobState(
                    latest: latest, latestSuccessful: successful, lastCheck: check,
                    lastCheckInputs: inputs[checkID] ?? [], isRunning: row.int64(1) != 0)
            }
        }
        return states
    }

    public func logs(_ query: LogQuery) throws -> [LogEntry] {
        var selection = LogSelection(query)
        guard !selection.isComplete else { return [] }
        let sql = SQLiteSQL.logs(descending: selection.fromEnd)
        try connection.read { try connection.using(sql) { statement in
            statement.bind(1, query.build)
            statement.bind(2, query.afterSeq ?? 0)
            statement.bind(3, query.minimumLevel.map(SQLiteStore.levelCode))
            statement.bind(4, query.stream.map(SQLiteStore.streamCode))
            statement.bind(5, query.since)
            statement.bind(6, query.until)
            while !selection.isComplete, try statement.step() {
                try statement.withBlob(0) { try selection.add($0) }
            }
        } }
        return selection.result
    }

    public func progress(of build: BuildID) throws -> [ProgressRecord] {
        try connection.read { try connection.using(SQLiteSQL.progressOf) { statement in
            statement.bind(1, build)
            var nodes: [ProgressRecord] = []
            while try statement.step() {
                nodes.append(ProgressRecord(
                    build: statement.int64(0), group: ProgressPath.decode(statement.string(1)),
                    current: statement.int(2), total: statement.optionalInt64(3).map { Int($0) },
                    status: statement.optionalString(4), updatedAt: statement.date(5)))
            }
            return nodes
        } }
    }

    public func inputs(of build: BuildID) throws -> [BuildInput] {
        try lineage(SQLiteSQL.inputsOf, build)
    }

    public func consumers(of build: BuildID) throws -> [BuildInput] {
        try lineage(SQLiteSQL.consumersOf, build)
    }

    private func lineage(_ sql: String, _ build: BuildID) throws -> [BuildInput] {
        try connection.read { try connection.using(sql) { try SQLiteStore.readInputs($0, of: build) } }
    }

    static func readInputs(_ statement: SQLiteStatement, of build: BuildID) throws -> [BuildInput] {
        statement.bind(1, build)
        var inputs: [BuildInput] = []
        while try statement.step() {
            inputs.append(BuildInput(
                build: statement.int64(0), dependency: statement.string(1),
                consumed: statement.int64(2), retval: statement.optionalString(3),
                pinned: statement.int64(4) != 0))
        }
        statement.rewind()
        return inputs
    }
}

/// The statements `jobStates` runs for each job, prepared once per call.
private struct JobStateReader {
    let ids: SQLiteStatement
    let build: SQLiteStatement
    let inputs: SQLiteStatement

    func rewind() {
        ids.rewind()
        build.rewind()
        inputs.rewind()
    }

    func state(of job: JobID) throws -> JobState? {
        ids.bind(1, job)
        guard try ids.step() else {
            ids.rewind()
            return nil
        }
        let latestID = ids.optionalInt64(0), successfulID = ids.optionalInt64(1)
        let checkID = ids.optionalInt64(2), running = ids.int64(3) != 0
        ids.rewind()
        guard let latestID, let latest = try record(latestID) else { return nil }
        guard let successfulID else { return JobState(latest: latest, isRunning: running) }
        let successful = successfulID == latestID ? latest : try record(successfulID)
        // The newest successful-or-skipped build is at least as new as the success.
        let lastCheckID = checkID ?? successfulID
        let lastCheck = lastCheckID == latestID
            ? latest : lastCheckID == successfulID ? successful : try record(lastCheckID)
        return JobState(
            latest: latest, latestSuccessful: successful, lastCheck: lastCheck,
            lastCheckInputs: try SQLiteStore.readInputs(inputs, of: lastCheckID), isRunning: running)
    }

    private func record(_ id: BuildID) throws -> BuildRecord? {
        build.bind(1, id)
        defer { build.rewind() }
        return try build.step() ? SQLiteStore.decodeBuild(build) : nil
    }
}
