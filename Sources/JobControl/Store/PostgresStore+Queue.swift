import Foundation

/// The build queue on PostgreSQL (see `PostgresQueueSQL`).
extension PostgresStore: BuildQueue {
    /// Five statements however long the plan: the builds to join, the new
    /// builds, their queue rows, their edges, the notification.
    public func enqueue(_ requests: [QueueRequest], trigger: String) throws -> [EnqueuedBuild] {
        guard !requests.isEmpty else { return [] }
        let now = PostgresStore.micros(clock())
        return try connection.transaction {
            try connection.query(PostgresQueueSQL.takeEnqueueLock)

            // Builds of these jobs queued by another run and not finished: join them.
            let active = try connection.query(
                PostgresQueueSQL.activeQueuedBuilds, [.textArray(requests.map(\.job))])
            var existing: [JobID: BuildRecord] = [:]
            for record in PostgresStore.decodeBuilds(active) { existing[record.job] = record }

            // New created builds, in plan order.
            let fresh = requests.filter { existing[$0.job] == nil }
            var created: [JobID: BuildRecord] = [:]
            if !fresh.isEmpty {
                let rows = try connection.query(
                    PostgresQueueSQL.insertQueuedBuilds,
                    [
                        .textArray(fresh.map(\.job)), .textArray(fresh.map(\.reason)),
                        .textArray(fresh.map(\.configHash)),
                        .textArray(fresh.map(\.configSnapshot)),
                        .text(trigger), .int(now),
                    ])
                for record in PostgresStore.decodeBuilds(rows) { created[record.job] = record }
                let ids = fresh.compactMap { created[$0.job]?.id }
                try connection.query(
                    PostgresQueueSQL.insertQueueRows,
                    [
                        .intArray(ids), .textArray(fresh.map { ProgressPath.encode($0.tags) }),
                        .intArray(fresh.map { Int64($0.retries) }),
                        .intArray(fresh.map { Int64($0.retryDelay) }),
                        .textArray(fresh.map { PostgresStore.encodePins($0.pins) }),
                        .optionalTextArray(fresh.map { PostgresStore.encodeCondition($0) }),
                    ])
            }
            // A joined build that this run needs in any case runs in any case.
            let mustRun = requests.compactMap { request -> Int64? in
                guard request.unchangedValues == nil else { return nil }
                return existing[request.job]?.id
            }
            if !mustRun.isEmpty {
                try connection.query(PostgresQueueSQL.dropConditions, [.intArray(mustRun)])
            }

            // Edges from each new build to the builds of its dependencies in this plan.
            var from: [Int64] = []
            var to: [Int64] = []
            for request in fresh {
                guard let build = created[request.job]?.id else { continue }
                for dependency in request.dependencies {
                    guard let upstream = (created[dependency] ?? existing[dependency])?.id else {
                        continue
                    }
                    from.append(build)
                    to.append(upstream)
                }
            }
            if !from.isEmpty {
                try connection.query(
                    PostgresQueueSQL.insertEdges, [.intArray(from), .intArray(to)])
            }
            try connection.query(PostgresQueueSQL.notify)
            return requests.compactMap { request in
                if let record = existing[request.job] {
                    return EnqueuedBuild(build: record, reused: true)
                }
                return created[request.job].map { EnqueuedBuild(build: $0, reused: false) }
            }
        }
    }

    public func claim(
        limit: Int, tags: [String], runner: RunnerIdentity, owner: String, lease: TimeInterval
    ) throws -> [ClaimedBuild] {
        guard limit > 0 else { return [] }
        if !connection.claiming {
            try connection.execute(PostgresQueueSQL.claimSettings)
            connection.claiming = true
        }
        let now = PostgresStore.micros(clock())
        return PostgresStore.decodeClaims(
            try connection.query(
                PostgresQueueSQL.claimNext, claimParameters(limit, tags, runner, owner, lease, now)))
    }

    public func finishAndClaim(
        _ build: BuildID, result: BuildResult, start: BuildStart?, limit: Int, tags: [String],
        runner: RunnerIdentity, owner: String, lease: TimeInterval
    ) throws -> FinishedAndClaimed {
        guard result.status == .successful || result.status == .skipped, limit > 0 else {
            if let start { try recordStart(build, start) }
            try finishBuild(build, result: result)
            try connection.query(PostgresQueueSQL.unlockJobOfBuild, [.int(build)])
            return FinishedAndClaimed(
                claimed: try claim(
                    limit: limit, tags: tags, runner: runner, owner: owner, lease: lease))
        }
        if !connection.claiming {
            try connection.execute(PostgresQueueSQL.claimSettings)
            connection.claiming = true
        }
        let now = PostgresStore.micros(clock())
        let results: [PostgresResult]
        do {
            results = try pipelined(build, result, start, limit, tags, runner, owner, lease, now)
        } catch is PostgresRetry {
            // A deadlock or serialization failure rolled both back: one at a time.
            if let start { try recordStart(build, start) }
            try finishBuild(build, result: result)
            try connection.query(PostgresQueueSQL.unlockJobOfBuild, [.int(build)])
            return FinishedAndClaimed(
                claimed: try claim(
                    limit: limit, tags: tags, runner: runner, owner: owner, lease: lease))
        }
        let ended = results[results.count - 2]
        var outcome = FinishedAndClaimed(claimed: PostgresStore.decodeClaims(results[results.count - 1]))
        if ended.rowCount == 0 || ended.isNull(0, 0) {
            // Not running any more (its lease was taken over): why, as finishBuild says it.
            let status = try connection.query(PostgresSQL.buildStatus, [.int(build)])
            outcome.finishError =
                status.rowCount == 0
                ? .noSuchBuild(build)
                : .refused("cannot finish build #\(build): it is already \(status.string(0, 0))")
        }
        return outcome
    }

    /// The end of `build` (with its start when it was not recorded: the
    /// inputs, if any, as `startClaimed`, the time and group with the end)
    /// and the next claim, as one pipeline: one round trip, one transaction.
    private func pipelined(
        _ build: BuildID, _ result: BuildResult, _ start: BuildStart?, _ limit: Int,
        _ tags: [String], _ runner: RunnerIdentity, _ owner: String, _ lease: TimeInterval,
        _ now: Int64
    ) throws -> [PostgresResult] {
        var statements: [(sql: String, parameters: [PostgresValue])] = []
        if let start, !start.inputs.isEmpty {
            statements.append((PostgresQueueSQL.startClaimed, startParameters(build, start)))
        }
        statements.append(
            (
                PostgresQueueSQL.finishClaimed,
                [
                    .int(build), .text(result.status.rawValue),
                    .string(result.failureKind?.rawValue), .int(result.exitCode),
                    .string(result.signal), .string(result.error),
                    .string(result.status == .successful ? result.retval : nil), .int(now),
                    .int(start.map { PostgresStore.micros($0.at) }), .int(start?.processGroup),
                ]
            ))
        statements.append(
            (PostgresQueueSQL.claimNext, claimParameters(limit, tags, runner, owner, lease, now)))
        return try connection.pipeline(statements)
    }

    private func recordStart(_ build: BuildID, _ start: BuildStart) throws {
        try startClaimed(
            build, at: start.at, processGroup: start.processGroup, inputs: start.inputs)
    }

    private func startParameters(_ build: BuildID, _ start: BuildStart) -> [PostgresValue] {
        let inputs = start.inputs
        return [
            .int(build), .int(PostgresStore.micros(start.at)), .int(start.processGroup),
            .textArray(inputs.map(\.dependency)), .intArray(inputs.map(\.consumed)),
            .optionalTextArray(inputs.map(\.retval)),
            .text("{" + inputs.map { $0.pinned ? "t" : "f" }.joined(separator: ",") + "}"),
        ]
    }

    private func claimParameters(
        _ limit: Int, _ tags: [String], _ runner: RunnerIdentity, _ owner: String,
        _ lease: TimeInterval, _ now: Int64
    ) -> [PostgresValue] {
        [
            .textArray(tags), .text(owner), .int(Int64(lease * 1_000_000)), .text(runner.host),
            .int(runner.pid), .int(Int64(bitPattern: runner.processStart)), .int(now), .int(limit),
        ]
    }

    static func decodeClaims(_ claimed: PostgresResult) -> [ClaimedBuild] {
        var builds: [ClaimedBuild] = []
        builds.reserveCapacity(claimed.rowCount)
        for row in 0..<claimed.rowCount {
            builds.append(
                ClaimedBuild(
                    build: PostgresStore.decodeBuild(claimed, row),
                    previousRetval: claimed.optionalString(row, 20),
                    pins: decodePins(claimed.optionalString(row, 21)),
                    jobLocked: claimed.bool(row, 22)))
        }
        return builds.sorted { $0.build.id < $1.build.id }
    }

    /// A build's condition as stored (`PostgresQueueSQL.migration5`): nil
    /// for none, else `{"dep":"value","other":null}`.
    static func encodeCondition(_ request: QueueRequest) -> String? {
        guard let values = request.unchangedValues else { return nil }
        var object: [String: Any] = [:]
        for (dep, value) in values { object[dep] = value.map { $0 as Any } ?? NSNull() }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `--pin` choices as stored: `{"dep":42}`.
    static func encodePins(_ pins: [JobID: BuildID]) -> String {
        guard !pins.isEmpty,
            let data = try? JSONSerialization.data(withJSONObject: pins, options: [.sortedKeys])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decodePins(_ text: String?) -> [JobID: BuildID] {
        guard let text, text != "{}",
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { return [:] }
        var pins: [JobID: BuildID] = [:]
        for (dep, value) in object {
            if let number = value as? NSNumber { pins[dep] = number.int64Value }
        }
        return pins
    }

    public func startClaimed(
        _ build: BuildID, at: Date, processGroup: Int32?, inputs: [BuildInput]
    ) throws {
        try connection.query(
            PostgresQueueSQL.startClaimed,
            startParameters(build, BuildStart(at: at, processGroup: processGroup, inputs: inputs)))
    }

    public func dropClaimed(_ build: BuildID, of job: JobID, upToDateWith check: BuildID, owner: String)
        throws -> Bool
    {
        let dropped: Bool = try connection.transaction {
            let rows = try connection.query(PostgresQueueSQL.dropClaimed, [.int(build), .text(owner)])
            guard rows.rowCount > 0 else { return false }
            try connection.query(PostgresQueueSQL.moveEdgesTo, [.int(build), .int(check)])
            try connection.query(PostgresQueueSQL.notify)  // dependents may be ready; delivered at commit
            return true
        }
        try connection.query(PostgresQueueSQL.unlockJob, [.text(job)])
        return dropped
    }

    public func tryLockJob(_ job: JobID) throws -> Bool {
        try connection.query(PostgresQueueSQL.tryLockJob, [.text(job)]).bool(0, 0)
    }

    public func latestSuccessful(of jobs: [JobID]) throws -> [JobID: BuildRecord] {
        guard !jobs.isEmpty else { return [:] }
        let rows = try connection.query(PostgresQueueSQL.latestSuccessful, [.textArray(jobs)])
        var result: [JobID: BuildRecord] = [:]
        for record in PostgresStore.decodeBuilds(rows) { result[record.job] = record }
        return result
    }

    public func recordInputs(_ inputs: [BuildInput], of build: BuildID) throws {
        guard inputs.count > 1 else { return try insertInputs(inputs, of: build) }
        try connection.transaction { try insertInputs(inputs, of: build) }
    }

    public func renewLeases(owner: String, builds: [BuildID], lease: TimeInterval) throws -> Set<
        BuildID
    > {
        guard !builds.isEmpty else { return [] }
        let rows = try connection.query(
            PostgresQueueSQL.renewLeases,
            [
                .text(owner), .int(Int64(lease * 1_000_000)), .intArray(builds),
            ])
        return Set((0..<rows.rowCount).map { rows.int64($0, 0) })
    }

    public func latestAttempts(of builds: [BuildID]) throws -> [BuildID: BuildRecord] {
        guard !builds.isEmpty else { return [:] }
        return try connection.transaction {
            let chains = try connection.query(PostgresQueueSQL.latestAttempts, [.intArray(builds)])
            var latest: [BuildID: BuildID] = [:]
            for row in 0..<chains.rowCount { latest[chains.int64(row, 0)] = chains.int64(row, 1) }
            let records = try connection.query(
                PostgresSQL.buildsByID, [.intArray(Array(Set(latest.values)))])
            var byID: [BuildID: BuildRecord] = [:]
            for record in PostgresStore.decodeBuilds(records) { byID[record.id] = record }
            return latest.compactMapValues { byID[$0] }
        }
    }

    public func attempts(of builds: [BuildID]) throws -> [BuildID: [BuildID]] {
        guard !builds.isEmpty else { return [:] }
        let rows = try connection.query(PostgresQueueSQL.allAttempts, [.intArray(builds)])
        var result: [BuildID: [BuildID]] = [:]
        for row in 0..<rows.rowCount {
            result[rows.int64(row, 0), default: []].append(rows.int64(row, 1))
        }
        return result
    }

    public func latestAttemptStatuses(of builds: [BuildID]) throws -> [BuildID: AttemptStatus] {
        guard !builds.isEmpty else { return [:] }
        let rows = try connection.query(
            PostgresQueueSQL.latestAttemptStatuses, [.intArray(builds)])
        var result: [BuildID: AttemptStatus] = [:]
        result.reserveCapacity(rows.rowCount)
        for row in 0..<rows.rowCount {
            result[rows.int64(row, 0)] = AttemptStatus(
                build: rows.int64(row, 1),
                status: BuildStatus(rawValue: rows.string(row, 2)) ?? .failed)
        }
        return result
    }

    public func records(of builds: [BuildID]) throws -> [BuildID: BuildRecord] {
        guard !builds.isEmpty else { return [:] }
        let rows = try connection.query(PostgresSQL.buildsByID, [.intArray(builds)])
        var byID: [BuildID: BuildRecord] = [:]
        for record in PostgresStore.decodeBuilds(rows) { byID[record.id] = record }
        return byID
    }

    public func waitForQueueChange(timeout: TimeInterval, wakeFD: Int32) throws -> Bool {
        if !listening {
            try connection.execute(PostgresQueueSQL.listen)
            listening = true
        }
        return try !connection.waitForNotifications(timeout: timeout, wakeFD: wakeFD).isEmpty
    }

    private var listening: Bool {
        get { connection.listening }
        set { connection.listening = newValue }
    }

    public func cancelQueued(_ builds: [BuildID]) throws -> [BuildID: QueueCancellation] {
        var outcomes: [BuildID: QueueCancellation] = [:]
        for id in builds {
            let now = PostgresStore.micros(clock())
            outcomes[id] = try connection.transaction { () throws -> QueueCancellation in
                let rows = try connection.query(PostgresQueueSQL.cancelQueued, [.int(id), .int(now)])
                guard rows.rowCount > 0 else {
                    guard let record = try build(id) else { return .noSuchBuild }
                    let queued = try connection.query(PostgresQueueSQL.isQueued, [.int(id)]).bool(0, 0)
                    return queued ? .claimedOrFinished(record) : .notQueued(record)
                }
                let record = PostgresStore.decodeBuild(rows, 0)
                try connection.query(PostgresQueueSQL.stopWaiting, [.intArray([id])])
                let failed = try connection.query(
                    PostgresQueueSQL.failDependents,
                    [.int(id), .int(now), .text(record.job), .text("was cancelled")])
                let dependents = (0..<failed.rowCount).map { failed.int64($0, 0) }
                if !dependents.isEmpty {
                    try connection.query(PostgresQueueSQL.stopWaiting, [.intArray(dependents)])
                }
                return .cancelled(record, failedDependents: dependents.sorted())
            }
        }
        return outcomes
    }

    public func announceWorker(
        owner: String, runner: RunnerIdentity, tags: [String], slots: Int, lease: TimeInterval
    ) throws {
        try connection.query(
            PostgresQueueSQL.announceWorker,
            [
                .text(owner), .text(runner.host), .int(runner.pid), .textArray(tags),
                .int(Int64(slots)), .int(Int64(lease * 1_000_000)),
            ])
    }

    public func retireWorker(owner: String) throws {
        try connection.query(PostgresQueueSQL.retireWorker, [.text(owner)])
    }

    public func waitingBuilds(_ builds: [BuildID]) throws -> [WaitingBuild] {
        guard !builds.isEmpty else { return [] }
        let rows = try connection.query(PostgresQueueSQL.waitingBuilds, [.intArray(builds)])
        return (0..<rows.rowCount).map { row in
            let tags = rows.string(row, 1)
            return WaitingBuild(
                build: rows.int64(row, 0),
                tags: tags.isEmpty ? [] : tags.split(separator: ",").map(String.init),
                claimable: rows.bool(row, 2), liveWorkers: Int(rows.int64(row, 3)))
        }
    }

    /// What a queued build's failure means for the queue, in the caller's
    /// transaction: when its job allows another attempt, a retry is queued
    /// (dependents then wait for it) and workers are notified; otherwise its
    /// queued dependents fail `dependency_failed`.
    func afterQueuedBuild(_ record: BuildRecord, at now: Int64) throws {
        let entry = try connection.query(PostgresQueueSQL.queueEntry, [.int(record.id)])
        guard entry.rowCount > 0, record.status == .failed else { return }
        let retries = Int(entry.int64(0, 0))
        let kind = record.failureKind
        let retried = kind.map { $0.isRetried || $0 == .runnerDied } ?? false
        if retried && record.attempt <= retries {
            let retry = try connection.query(
                PostgresQueueSQL.insertRetry, [.int(record.id), .int(now)])
            let id = retry.int64(0, 0)
            try connection.query(PostgresQueueSQL.queueRetry, [.int(record.id), .int(id)])
            try connection.query(PostgresQueueSQL.copyEdges, [.int(record.id), .int(id)])
            try connection.query(PostgresQueueSQL.moveEdges, [.int(record.id), .int(id)])
            try connection.query(PostgresQueueSQL.notify)  // a new ready build; delivered at commit
            return
        }
        let failed = try connection.query(
            PostgresQueueSQL.failDependents,
            [.int(record.id), .int(now), .text(record.job), .text("failed")])
        let ids = (0..<failed.rowCount).map { failed.int64($0, 0) }
        if !ids.isEmpty { try connection.query(PostgresQueueSQL.stopWaiting, [.intArray(ids)]) }
    }
}
