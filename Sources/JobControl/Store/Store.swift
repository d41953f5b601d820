import Foundation

/// jcrun's memory: builds, their logs, progress trees, return values and
/// lineage. SQLite (the default) and PostgreSQL are two implementations of
/// this one interface; every store test runs against each.
///
/// Calls are synchronous and throw `StoreError`. An implementation is used
/// from one thread at a time (callers serialise through a `BuildRecorder` or
/// their own lock); several processes may share one database.
public protocol BuildStore: AnyObject {
    // Life cycle.
    func createBuild(_ build: NewBuild) throws -> BuildRecord
    func markStarted(_ id: BuildID, runner: RunnerIdentity) throws
    func appendLogs(_ entries: [LogEntry]) throws
    /// Stores chunks of lines (the `BuildRecorder`'s path): each must start
    /// above the last seq stored for its build.
    func appendLogChunks(_ chunks: [LogChunk]) throws
    func saveProgress(_ nodes: [ProgressRecord]) throws
    func finishBuild(_ id: BuildID, result: BuildResult) throws
    /// `finishBuild(id, result:)` then `createBuild(next)`, in one write
    /// transaction where the store can (a worker's next build as its
    /// previous one ends). When it throws, SQLite has stored neither.
    func finishBuild(_ id: BuildID, result: BuildResult, thenCreate next: NewBuild) throws -> BuildRecord
    /// `finishBuild(id, result:, thenCreate: next)` when no other process
    /// committed since `othersChangeCounter()` gave `counter`; else ends `id`
    /// alone and returns nil (the scheduler then judges `next` again). SQLite
    /// compares inside the write, so the check costs no lock of its own.
    func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild, ifOthersCounterIs counter: Int64
    ) throws -> BuildRecord?
    /// `finishBuild(id, result:, thenCreate: next)` when each job of
    /// `expected` stands in the store as its stamp's build ids say once
    /// `id` ended, with no created or running build (no other process
    /// built or queued it since); else ends `id` alone
    /// and returns nil (the scheduler then judges `next` again). Compared
    /// inside the write, where `checksStatesInWrite`.
    func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild, ifStatesAre expected: [JobStamp]
    ) throws -> BuildRecord?
    /// The store compares `JobStamp`s inside the hand-over write: the
    /// scheduler's way to learn of other processes' builds when
    /// `othersChangeCounter()` cannot tell (PostgreSQL).
    var checksStatesInWrite: Bool { get }

    // Queries.
    func build(_ id: BuildID) throws -> BuildRecord?
    func builds(_ query: BuildQuery) throws -> [BuildRecord]
    /// For each job: its latest build, latest successful build, last check
    /// and the inputs the last check consumed, and its latest finished build
    /// when the latest is still created or running. Jobs never built are absent.
    func jobStates(_ jobs: [JobID]) throws -> [JobID: JobState]
    func logs(_ query: LogQuery) throws -> [LogEntry]
    func progress(of build: BuildID) throws -> [ProgressRecord]
    /// The dependency builds `build` consumed.
    func inputs(of build: BuildID) throws -> [BuildInput]
    /// The builds that consumed `build`.
    func consumers(of build: BuildID) throws -> [BuildInput]

    // Maintenance.
    func deleteBuild(_ id: BuildID) throws
    func prune(_ request: PruneRequest) throws -> PruneResult
    /// Marks builds left `running` by a runner that no longer exists as
    /// failed (`runner_died`), killing their process groups first.
    func reapDeadRunners() throws -> [BuildID]
    /// The `running` builds whose runner is known dead, in any mode: a
    /// read-only command reaps them (through a writer) when there are some.
    func deadRunnerBuilds() throws -> [BuildID]
    /// Records that the runner of these running builds is alive now (a
    /// heartbeat); a build reaped later ends at its last heartbeat.
    func markAlive(_ ids: [BuildID]) throws
    /// A number that differs whenever the store changed since it was last
    /// read, through any connection; nil when the store cannot tell (a
    /// reader must then not reuse what it read before).
    func changeCounter() throws -> Int64?
    /// A number that differs whenever another connection or process
    /// committed to the store since this connection last read it (its own
    /// writes leave it alone); nil when the store cannot tell (a caller must
    /// then assume a change). The scheduler reads it as it takes a job's
    /// lock, to know whether its plan may be out of date.
    func othersChangeCounter() throws -> Int64?

    // Build ids handed out ahead (issue #5): with `-j 1` the next build's
    // process starts before its row is written, with the id reserved here.
    /// Turns on or off the reservation of the next build id with every new
    /// row (no write of its own: an id still held once it is off is given
    /// back by the next write that ends a build alone, or as the store closes).
    func reservingBuildIDs(_ on: Bool) throws
    /// The id held reserved, if any (no store access).
    var reservedBuildID: BuildReservation? { get }
    /// Ends build `id` and stores `next`, whose process started at
    /// `startedAt` under `runner`, as running with the reserved id, in one
    /// write that also reserves the next id. Nothing is stored when it throws.
    func finishBuild(
        _ id: BuildID, result: BuildResult, thenStoreStarted next: NewBuild,
        as reserved: BuildReservation, runner: RunnerIdentity, startedAt: Date
    ) throws -> BuildRecord
}

/// A build id no other row or process will take (`BuildStore.reservingBuildIDs`).
public struct BuildReservation: Sendable, Hashable {
    public var id: BuildID
    /// `othersChangeCounter()` when the id was reserved: while it is still
    /// this, no other process wrote since, and `id` is the newest id.
    public var counter: Int64

    public init(id: BuildID, counter: Int64) {
        self.id = id
        self.counter = counter
    }
}

extension BuildStore {
    /// A store without the combined write ends one build, then creates the next.
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild
    ) throws -> BuildRecord {
        try finishBuild(id, result: result)
        return try createBuild(next)
    }
    /// A store without the check in its write reads the counter first.
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild, ifOthersCounterIs counter: Int64
    ) throws -> BuildRecord? {
        guard try othersChangeCounter() == counter else {
            try finishBuild(id, result: result)
            return nil
        }
        return try finishBuild(id, result: result, thenCreate: next)
    }
    /// A store that keeps lines one by one stores a chunk's lines.
    public func appendLogChunks(_ chunks: [LogChunk]) throws {
        var entries: [LogEntry] = []
        for chunk in chunks { entries += try chunk.entries() }
        try appendLogs(entries)
    }
    /// A store that cannot tell finds none.
    public func deadRunnerBuilds() throws -> [BuildID] { [] }
    /// A store without heartbeats ends a reaped build at its last log line.
    public func markAlive(_ ids: [BuildID]) throws {}
    /// A store that cannot tell says so.
    public func changeCounter() throws -> Int64? { nil }
    /// A store that cannot tell says so (PostgreSQL: its hand-over write
    /// compares the jobs' stamps instead, `checksStatesInWrite`).
    public func othersChangeCounter() throws -> Int64? { nil }
    /// A store that cannot reserve ids never holds one.
    public func reservingBuildIDs(_ on: Bool) throws {}
    public var reservedBuildID: BuildReservation? { nil }
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenStoreStarted next: NewBuild,
        as reserved: BuildReservation, runner: RunnerIdentity, startedAt: Date
    ) throws -> BuildRecord {
        throw StoreError.refused("build #\(reserved.id): this store reserves no build ids")
    }
    /// A store that cannot compare stamps ends `id` alone: `next` is judged again.
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild, ifStatesAre expected: [JobStamp]
    ) throws -> BuildRecord? {
        try finishBuild(id, result: result)
        return nil
    }
    public var checksStatesInWrite: Bool { false }
}

/// The builds a job's state rests on, by id (`BuildStore.jobStates`): a
/// write compares them with the store's to tell whether another process
/// built or queued the job since they were read.
public struct JobStamp: Sendable, Hashable {
    public var job: JobID
    public var latest: BuildID?
    public var latestSuccessful: BuildID?
    /// The newest successful-or-skipped build; nil without a successful
    /// one (as `JobState.lastCheck`).
    public var lastCheck: BuildID?
    /// A build of the job is `created` or `running`.
    public var isRunning: Bool

    public init(
        job: JobID, latest: BuildID? = nil, latestSuccessful: BuildID? = nil, lastCheck: BuildID? = nil,
        isRunning: Bool = false
    ) {
        self.job = job
        self.latest = latest
        self.latestSuccessful = latestSuccessful
        self.lastCheck = latestSuccessful == nil ? nil : lastCheck
        self.isRunning = isRunning
    }

    /// The stamp of `state` (nil: a job never built).
    public init(job: JobID, state: JobState?) {
        self.init(
            job: job, latest: state?.latest?.id, latestSuccessful: state?.latestSuccessful?.id,
            lastCheck: state?.lastCheck?.id, isRunning: state?.isRunning ?? false)
    }

    /// This stamp once `build`, one of this process's builds of the job, is
    /// as `status` says (created or running, or how it ended).
    public mutating func apply(_ build: BuildID, _ status: BuildStatus) {
        latest = max(latest ?? build, build)
        switch status {
        case .successful:
            latestSuccessful = max(latestSuccessful ?? build, build)
            lastCheck = max(lastCheck ?? build, build)
        case .skipped where latestSuccessful != nil:
            lastCheck = max(lastCheck ?? build, build)
        default: break
        }
    }
}

/// What `createBuild` needs.
public struct NewBuild: Sendable {
    public var job: JobID
    public var status: BuildStatus
    /// `cli`, `build-outdated`, `web`, `queue`, ...
    public var trigger: String
    /// Why the planner chose this build, in words (`never built`).
    public var reason: String
    public var attempt: Int
    /// The job's resolved definition as JSON text, secrets masked.
    public var configSnapshot: String
    public var configHash: String
    /// The dependency builds consumed, with the value each provided.
    public var inputs: [BuildInput]

    public init(
        job: JobID, status: BuildStatus = .running, trigger: String, reason: String,
        attempt: Int = 1, configSnapshot: String, configHash: String, inputs: [BuildInput] = []
    ) {
        self.job = job
        self.status = status
        self.trigger = trigger
        self.reason = reason
        self.attempt = attempt
        self.configSnapshot = configSnapshot
        self.configHash = configHash
        self.inputs = inputs
    }
}

/// Who runs a build: enough to tell later whether that runner still lives.
public struct RunnerIdentity: Sendable, Hashable {
    public var host: String
    public var pid: Int32
    /// The runner process's start time (from /proc), to detect pid reuse.
    public var processStart: UInt64
    /// The build's process group, killed if the runner died.
    public var processGroup: Int32?

    public init(host: String, pid: Int32, processStart: UInt64, processGroup: Int32? = nil) {
        self.host = host
        self.pid = pid
        self.processStart = processStart
        self.processGroup = processGroup
    }
}

/// How a build ended.
public struct BuildResult: Sendable, Hashable {
    public var status: BuildStatus
    public var failureKind: FailureKind?
    public var exitCode: Int32?
    /// Signal name, `SIGKILL`.
    public var signal: String?
    /// Error text: "timed out after 30s", "program 'x' not found", skip reason.
    public var error: String?
    /// Only successful builds keep one (masked).
    public var retval: String?
    /// When the build ended: the runner's time, when its job ended, so that
    /// a write that waits for the store's lock does not lengthen it (and
    /// the run's summary shows what is stored). nil: the time of the write.
    public var finishedAt: Date?

    public init(
        status: BuildStatus, failureKind: FailureKind? = nil, exitCode: Int32? = nil,
        signal: String? = nil, error: String? = nil, retval: String? = nil,
        finishedAt: Date? = nil
    ) {
        self.status = status
        self.failureKind = failureKind
        self.exitCode = exitCode
        self.signal = signal
        self.error = error
        self.retval = retval
        self.finishedAt = finishedAt
    }
}

/// One stored build.
public struct BuildRecord: Sendable, Hashable {
    public var id: BuildID
    public var job: JobID
    public var status: BuildStatus
    public var failureKind: FailureKind?
    public var exitCode: Int32?
    public var signal: String?
    public var error: String?
    public var retval: String?
    public var attempt: Int
    public var reason: String
    public var trigger: String
    public var configHash: String
    public var configSnapshot: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var runner: RunnerIdentity?

    public init(
        id: BuildID, job: JobID, status: BuildStatus, failureKind: FailureKind? = nil,
        exitCode: Int32? = nil, signal: String? = nil, error: String? = nil,
        retval: String? = nil, attempt: Int = 1, reason: String = "", trigger: String = "cli",
        configHash: String = "", configSnapshot: String = "{}", createdAt: Date,
        startedAt: Date? = nil, finishedAt: Date? = nil, runner: RunnerIdentity? = nil
    ) {
        self.id = id
        self.job = job
        self.status = status
        self.failureKind = failureKind
        self.exitCode = exitCode
        self.signal = signal
        self.error = error
        self.retval = retval
        self.attempt = attempt
        self.reason = reason
        self.trigger = trigger
        self.configHash = configHash
        self.configSnapshot = configSnapshot
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.runner = runner
    }

    public var duration: TimeInterval? {
        guard let startedAt, let finishedAt else { return nil }
        return finishedAt.timeIntervalSince(startedAt)
    }
}

/// Lineage: `build` consumed `consumed`, a build of `dependency`, whose
/// return value was `retval` at the time (kept for early cutoff).
public struct BuildInput: Sendable, Hashable {
    public var build: BuildID
    public var dependency: JobID
    public var consumed: BuildID
    public var retval: String?
    /// True when `--pin` chose it.
    public var pinned: Bool

    public init(build: BuildID, dependency: JobID, consumed: BuildID, retval: String?, pinned: Bool = false) {
        self.build = build
        self.dependency = dependency
        self.consumed = consumed
        self.retval = retval
        self.pinned = pinned
    }
}

/// What the planner needs to know of one job.
///
/// The fields live in one shared, immutable box (a change makes a new one),
/// which keeps each record once: the planner and `list` hold a state per
/// job, and three inline `BuildRecord`s made each state 760 bytes (10,000
/// jobs: a 12 MB dictionary, copied on every lookup).
public struct JobState: Sendable, Hashable {
    public var latest: BuildRecord? {
        get { box.latest }
        set { self = JobState(newValue, latestSuccessful, lastCheck, lastCheckInputs, isRunning, given, queuedOnly) }
    }
    public var latestSuccessful: BuildRecord? {
        get { box.record(box.successful) }
        set { self = JobState(latest, newValue, lastCheck, lastCheckInputs, isRunning, given, queuedOnly) }
    }
    /// The newest successful build, or a newer skipped build after it.
    public var lastCheck: BuildRecord? {
        get { box.record(box.check) }
        set { self = JobState(latest, latestSuccessful, newValue, lastCheckInputs, isRunning, given, queuedOnly) }
    }
    /// What the last check consumed (for a skip: what the skip consumed).
    public var lastCheckInputs: [BuildInput] {
        get { box.inputs }
        set { self = JobState(latest, latestSuccessful, lastCheck, newValue, isRunning, given, queuedOnly) }
    }
    /// A build of this job is `created` or `running` now.
    public var isRunning: Bool {
        get { box.isRunning }
        set {
            self = JobState(
                latest, latestSuccessful, lastCheck, lastCheckInputs, newValue, given,
                newValue && queuedOnly)
        }
    }
    /// The newest build that ended (successful, skipped or failed): `latest`,
    /// unless that one is still `created` or `running`. Outdatedness reads
    /// this one, never an unfinished build (JOBS.md, "When a job is outdated").
    ///
    /// The stores read it; a state made without it takes the newer of
    /// `lastCheck` and `latestSuccessful` when `latest` is unfinished.
    public var latestFinished: BuildRecord? {
        get {
            if let latest = box.latest, latest.status.isFinished { return latest }
            if let given = box.finished { return given }
            let check = lastCheck, successful = latestSuccessful
            guard let check, let successful else { return check ?? successful }
            return check.id > successful.id ? check : successful
        }
        set { self = JobState(latest, latestSuccessful, lastCheck, lastCheckInputs, isRunning, newValue, queuedOnly) }
    }
    /// Its only unfinished builds are `created` (queued for a worker), none
    /// `running`: labelled `queued`, not `running` (implies `isRunning`).
    public var queuedOnly: Bool {
        get { box.queuedOnly }
        set { self = JobState(latest, latestSuccessful, lastCheck, lastCheckInputs, isRunning, given, newValue) }
    }
    /// `latestFinished` as given, when `latest` is unfinished.
    private var given: BuildRecord? { box.finished }

    private let box: Box

    public init(
        latest: BuildRecord? = nil, latestSuccessful: BuildRecord? = nil,
        lastCheck: BuildRecord? = nil, lastCheckInputs: [BuildInput] = [], isRunning: Bool = false,
        latestFinished: BuildRecord? = nil, queuedOnly: Bool = false
    ) {
        self.init(latest, latestSuccessful, lastCheck, lastCheckInputs, isRunning, latestFinished, queuedOnly)
    }

    private init(
        _ latest: BuildRecord?, _ successful: BuildRecord?, _ check: BuildRecord?,
        _ inputs: [BuildInput], _ isRunning: Bool, _ finished: BuildRecord?, _ queuedOnly: Bool
    ) {
        func same(_ a: BuildRecord?, _ b: BuildRecord) -> Bool {
            guard let a, a.id == b.id else { return false }
            return a == b
        }
        var successfulSlot = Slot.none, checkSlot = Slot.none
        if let successful {
            successfulSlot = same(latest, successful) ? .latest : .record(successful)
        }
        if let check {
            checkSlot = same(latest, check) ? .latest
                : same(successful, check) ? .successful : .record(check)
        }
        // Kept only while `latest` is unfinished (else it is `latest`).
        let unfinished = latest.map { !$0.status.isFinished } ?? false
        box = Box(
            latest: latest, successful: successfulSlot, check: checkSlot, inputs: inputs,
            isRunning: isRunning, finished: unfinished ? finished : nil, queuedOnly: isRunning && queuedOnly)
    }

    public static func == (a: JobState, b: JobState) -> Bool {
        a.box === b.box
            || (a.latest == b.latest && a.latestSuccessful == b.latestSuccessful
                && a.lastCheck == b.lastCheck && a.lastCheckInputs == b.lastCheckInputs
                && a.isRunning == b.isRunning && a.latestFinished == b.latestFinished
                && a.queuedOnly == b.queuedOnly)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(latest)
        hasher.combine(latestSuccessful)
        hasher.combine(lastCheck)
        hasher.combine(lastCheckInputs)
        hasher.combine(isRunning)
        hasher.combine(latestFinished)
        hasher.combine(queuedOnly)
    }

    /// Where the latest successful build or the last check is kept.
    private indirect enum Slot: Sendable {
        case none
        /// The same build as `latest`.
        case latest
        /// The same build as the latest successful one.
        case successful
        case record(BuildRecord)
    }

    private final class Box: Sendable {
        let latest: BuildRecord?
        let successful: Slot
        let check: Slot
        let inputs: [BuildInput]
        let isRunning: Bool
        /// The newest finished build while `latest` is unfinished.
        let finished: BuildRecord?
        let queuedOnly: Bool

        init(
            latest: BuildRecord?, successful: Slot, check: Slot, inputs: [BuildInput], isRunning: Bool,
            finished: BuildRecord?, queuedOnly: Bool
        ) {
            self.queuedOnly = queuedOnly
            self.finished = finished
            self.latest = latest
            self.successful = successful
            self.check = check
            self.inputs = inputs
            self.isRunning = isRunning
        }

        func record(_ slot: Slot) -> BuildRecord? {
            switch slot {
            case .none: return nil
            case .latest: return latest
            case .successful: return record(successful)
            case .record(let record): return record
            }
        }
    }
}

/// The stream a log entry came from.
public enum LogStream: String, Sendable, Hashable, CaseIterable, Codable {
    case stdout, stderr
    /// A message of jcrun's own about the build (a warning, a malformed
    /// directive); before schema 6 also the `@log` entries.
    case jcrun
    /// An `@log LEVEL MESSAGE` entry the job wrote (schema 6 on).
    case log
}

public enum LogLevel: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    case debug, info, warning, error, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }
}

/// One line of a build's log.
public struct LogEntry: Sendable, Hashable {
    public var build: BuildID
    /// Increasing within a build, from 1.
    public var seq: Int64
    public var time: Date
    public var stream: LogStream
    public var level: LogLevel
    /// The line as UTF-8 text (invalid bytes replaced for display).
    public var text: String
    /// The exact bytes, kept only when they are not valid UTF-8.
    public var raw: [UInt8]?
    /// The line goes on in the next entry (a piece of a very long line).
    public var continued: Bool

    public init(
        build: BuildID, seq: Int64, time: Date, stream: LogStream, level: LogLevel,
        text: String, raw: [UInt8]? = nil, continued: Bool = false
    ) {
        self.build = build
        self.seq = seq
        self.time = time
        self.stream = stream
        self.level = level
        self.text = text
        self.raw = raw
        self.continued = continued
    }
}

/// One node of a build's progress tree, as stored: one row per group path.
public struct ProgressRecord: Sendable, Hashable {
    public var build: BuildID
    /// Empty for the top level.
    public var group: [String]
    public var current: Int
    /// nil for `?`.
    public var total: Int?
    public var status: String?
    public var updatedAt: Date

    public init(build: BuildID, group: [String], current: Int, total: Int?, status: String?, updatedAt: Date) {
        self.build = build
        self.group = group
        self.current = current
        self.total = total
        self.status = status
        self.updatedAt = updatedAt
    }
}

public struct BuildQuery: Sendable, Hashable {
    public var job: JobID?
    public var status: BuildStatus?
    public var since: Date?
    public var limit: Int?
    /// Newest first when true.
    public var newestFirst: Bool
    /// Rows skipped before the first returned (paging).
    public var offset: Int

    public init(
        job: JobID? = nil, status: BuildStatus? = nil, since: Date? = nil, limit: Int? = nil,
        newestFirst: Bool = true, offset: Int = 0
    ) {
        self.job = job
        self.status = status
        self.since = since
        self.limit = limit
        self.newestFirst = newestFirst
        self.offset = offset
    }
}

public struct LogQuery: Sendable, Hashable {
    public var build: BuildID
    public var minimumLevel: LogLevel?
    public var stream: LogStream?
    public var since: Date?
    public var until: Date?
    /// Entries with `seq` greater than this (for `--follow`).
    public var afterSeq: Int64?
    public var limit: Int?
    /// Take the last `limit` entries instead of the first (log tails).
    public var tail: Bool

    public init(
        build: BuildID, minimumLevel: LogLevel? = nil, stream: LogStream? = nil,
        since: Date? = nil, until: Date? = nil, afterSeq: Int64? = nil, limit: Int? = nil, tail: Bool = false
    ) {
        self.build = build
        self.minimumLevel = minimumLevel
        self.stream = stream
        self.since = since
        self.until = until
        self.afterSeq = afterSeq
        self.limit = limit
        self.tail = tail
    }
}

public struct PruneRequest: Sendable, Hashable {
    public var olderThan: Date
    public var job: JobID?
    /// Keep at least this many newest builds per job.
    public var keep: Int
    /// Delete log lines only, keep the builds.
    public var logsOnly: Bool
    /// With `logsOnly`: delete entries at this level and below.
    public var level: LogLevel?
    public var vacuum: Bool
    /// Builds of these jobs are left alone (jobs whose cleanup must run
    /// first, which `jcrun prune` deletes one by one).
    public var exceptJobs: Set<JobID> = []
    /// Delete nothing; `PruneResult.jobs` names the jobs whose builds would
    /// go, and `PruneResult.buildIDs` lists those of the jobs in `listBuildsOf`.
    public var dryRun = false
    public var listBuildsOf: Set<JobID> = []

    public init(
        olderThan: Date, job: JobID? = nil, keep: Int = 0, logsOnly: Bool = false,
        level: LogLevel? = nil, vacuum: Bool = false
    ) {
        self.olderThan = olderThan
        self.job = job
        self.keep = keep
        self.logsOnly = logsOnly
        self.level = level
        self.vacuum = vacuum
    }
}

public struct PruneResult: Sendable, Hashable {
    public var buildsDeleted: Int
    public var logLinesDeleted: Int
    /// With `PruneRequest.dryRun`: the jobs with builds that would be
    /// deleted, and those builds of `listBuildsOf`'s jobs, oldest first.
    public var jobs: Set<JobID>
    public var buildIDs: [BuildID]

    public init(
        buildsDeleted: Int, logLinesDeleted: Int, jobs: Set<JobID> = [], buildIDs: [BuildID] = []
    ) {
        self.buildsDeleted = buildsDeleted
        self.logLinesDeleted = logLinesDeleted
        self.jobs = jobs
        self.buildIDs = buildIDs
    }
}

/// Everything that can go wrong with a store, each with what a user can do.
public enum StoreError: Error, Sendable, Equatable {
    /// The file is not an SQLite database.
    case notADatabase(path: String)
    /// An SQLite database, but not jcrun's.
    case foreignDatabase(path: String)
    /// Written by a newer jcrun (schema `found` > `supported`).
    case newerSchema(path: String, found: Int, supported: Int)
    /// No store at `path` yet, and the command may not create one (read-only
    /// commands): every job is "not built".
    case notInstalled(path: String)
    /// An older schema, and the command may not migrate (read-only commands).
    case needsMigration(path: String, found: Int, supported: Int)
    /// Cannot open or create: permissions, missing folder, read-only file.
    case unreachable(path: String, reason: String)
    /// The disk is full (SQLITE_FULL).
    case diskFull(path: String)
    /// Any other engine error, with the engine's message.
    case engine(message: String)
    /// `delete` on a build that is created or running, or similar refusals.
    case refused(String)
    case noSuchBuild(BuildID)
}
