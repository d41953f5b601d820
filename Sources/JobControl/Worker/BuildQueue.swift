import Foundation

/// A store that can hold a queue of builds for workers (`--queue`,
/// `jcrun worker`): today only `PostgresStore`. The SQLite store is not one;
/// the CLI refuses `--queue` and `worker` on it (exit 2).
///
/// Queued builds are `created` rows; a worker claims a ready one (every
/// build it depends on in its plan succeeded or was skipped) and holds it
/// under a lease it renews. `finishBuild` of a queued build queues its retry
/// or fails its dependents; `reapDeadRunners` fails builds whose lease ended.
public protocol BuildQueue: BuildStore {
    /// Queues one plan in one transaction, in plan order. A job that already
    /// has a queued build not yet finished joins it (`reused`) instead of
    /// being queued twice, so two `--queue` runs at once build each job once.
    func enqueue(_ requests: [QueueRequest], trigger: String) throws -> [EnqueuedBuild]

    /// Claims up to `limit` ready builds (oldest first) whose job's tags are
    /// all in `tags`, in one round trip: marks them running under `runner`
    /// and leases them to `owner` for `lease` seconds. Each comes with the
    /// return value of its job's latest successful build.
    func claim(
        limit: Int, tags: [String], runner: RunnerIdentity, owner: String, lease: TimeInterval
    ) throws -> [ClaimedBuild]

    /// Ends `build` and claims up to `limit` ready builds as `claim` does, in
    /// one round trip when the build succeeded or was skipped (a pipeline:
    /// the claim sees the end, so dependents it made ready can be claimed).
    /// A failed build goes through `finishBuild` (retries, failed
    /// dependents) before the claim.
    ///
    /// The builds claimed are returned even when the end was refused (the
    /// build was taken over after its lease ended): `finishError` says so.
    ///
    /// `start`, when given, is the build's start not yet recorded (a build
    /// that ended before its start was written, see `Worker`): it is
    /// written in the same round trip, before the end.
    ///
    /// - Throws: what `finishBuild` and `claim` throw; then nothing was claimed.
    func finishAndClaim(
        _ build: BuildID, result: BuildResult, start: BuildStart?, limit: Int, tags: [String],
        runner: RunnerIdentity, owner: String, lease: TimeInterval
    ) throws -> FinishedAndClaimed

    /// Records that a claimed build's process runs since `at` in process
    /// group `processGroup`, with the dependency builds it consumes, in one
    /// round trip. Nothing changes for a build no longer running (its lease
    /// was taken over).
    func startClaimed(
        _ build: BuildID, at: Date, processGroup: Int32?, inputs: [BuildInput]
    ) throws

    /// Takes `job`'s lock (the one local runs take, `SharedJobLocks`) for
    /// this worker if no one holds it; never blocks. The claim tries it
    /// first (`ClaimedBuild.jobLocked`); the build's end releases it.
    func tryLockJob(_ job: JobID) throws -> Bool

    /// Ends claimed build `build` unbuilt because another process brought
    /// its job up to date meanwhile (its newest check is build `check`), as
    /// the queue ends a conditional build that needs no run: its row and
    /// queue entry are deleted (`--wait` counts it up to date), builds
    /// queued after it wait for `check` instead, the job's lock is released
    /// and workers are notified, in one transaction; false (nothing
    /// changed) when `owner` no longer holds its lease. Either way this
    /// worker's lock of `job` is released.
    func dropClaimed(_ build: BuildID, of job: JobID, upToDateWith check: BuildID, owner: String) throws
        -> Bool

    /// The latest successful build of each of `jobs` that has one (what a
    /// claimed build consumes, and its job's previous value).
    func latestSuccessful(of jobs: [JobID]) throws -> [JobID: BuildRecord]

    /// Records the dependency builds a claimed build consumes.
    func recordInputs(_ inputs: [BuildInput], of build: BuildID) throws

    /// Extends `owner`'s leases on `builds`; returns those it still holds
    /// (a build missing was taken over after its lease ended).
    func renewLeases(owner: String, builds: [BuildID], lease: TimeInterval) throws -> Set<BuildID>

    /// For each queued build: its newest attempt (itself when never retried).
    func latestAttempts(of builds: [BuildID]) throws -> [BuildID: BuildRecord]

    /// For each queued build: every attempt, oldest first (itself alone
    /// when never retried). `--wait` reads it when a build was retried, to
    /// show each failed attempt as a local run does.
    func attempts(of builds: [BuildID]) throws -> [BuildID: [BuildID]]

    /// For each queued build: the id and status of its newest attempt (what
    /// `--wait` polls; `records(of:)` then reads only the builds that changed).
    func latestAttemptStatuses(of builds: [BuildID]) throws -> [BuildID: AttemptStatus]

    /// The builds with these ids that exist.
    func records(of builds: [BuildID]) throws -> [BuildID: BuildRecord]

    /// `jcrun cancel`: cancels each of `builds` that is queued and not yet
    /// claimed by a worker (still `created`), each in its own transaction:
    /// it becomes `failed` with kind `cancelled` and every queued build
    /// that waits for it, transitively, `failed` with kind
    /// `dependency_failed` ("dependency 'x' was cancelled"), so nothing
    /// waits for it forever. A build a worker claimed first is left alone.
    func cancelQueued(_ builds: [BuildID]) throws -> [BuildID: QueueCancellation]

    /// Worker `owner` runs (on `runner`'s host, with `tags` and `slots`)
    /// and will say so again within `lease` seconds; the worker announces
    /// itself at its start and at each lease round. Workers whose time ran
    /// out are forgotten.
    func announceWorker(
        owner: String, runner: RunnerIdentity, tags: [String], slots: Int, lease: TimeInterval
    ) throws

    /// Worker `owner` stopped.
    func retireWorker(owner: String) throws

    /// Of `builds`, those still waiting for a worker (`created`): their
    /// tags, and whether a live worker carries all of them.
    func waitingBuilds(_ builds: [BuildID]) throws -> [WaitingBuild]

    /// Blocks until the queue may have changed (a notification), `wakeFD`
    /// is readable, or `timeout` passes. True when notified.
    func waitForQueueChange(timeout: TimeInterval, wakeFD: Int32) throws -> Bool
}

extension BuildQueue {
    /// `finishAndClaim` of a build whose start is recorded.
    public func finishAndClaim(
        _ build: BuildID, result: BuildResult, limit: Int, tags: [String], runner: RunnerIdentity,
        owner: String, lease: TimeInterval
    ) throws -> FinishedAndClaimed {
        try finishAndClaim(
            build, result: result, start: nil, limit: limit, tags: tags, runner: runner,
            owner: owner, lease: lease)
    }

    /// Claims the first ready build (see `claim(limit:...)`).
    public func claim(
        tags: [String], runner: RunnerIdentity, owner: String, lease: TimeInterval
    ) throws -> ClaimedBuild? {
        try claim(limit: 1, tags: tags, runner: runner, owner: owner, lease: lease).first
    }

    /// `claim`, without the previous value.
    public func claimNext(
        tags: [String], runner: RunnerIdentity, owner: String, lease: TimeInterval
    ) throws -> BuildRecord? {
        try claim(tags: tags, runner: runner, owner: owner, lease: lease)?.build
    }
}

/// A build a worker claimed, its job's previous value (`JCRUN_PREVIOUS_RETVAL`)
/// and the dependency builds it was queued to consume (`--pin`).
public struct ClaimedBuild: Sendable, Hashable {
    public var build: BuildRecord
    /// The retval of the job's latest successful build; nil when none or no value.
    public var previousRetval: String?
    /// `--pin DEP=BUILD` choices: these dependencies' builds, not their latest.
    public var pins: [JobID: BuildID]
    /// The claim took the job's lock; false while a local run holds it.
    public var jobLocked: Bool

    public init(
        build: BuildRecord, previousRetval: String?, pins: [JobID: BuildID] = [:],
        jobLocked: Bool = true
    ) {
        self.jobLocked = jobLocked
        self.build = build
        self.previousRetval = previousRetval
        self.pins = pins
    }
}

/// A claimed build's start as `startClaimed` records it: when its process
/// ran, its process group, and the dependency builds it consumes.
public struct BuildStart: Sendable, Hashable {
    public var at: Date
    public var processGroup: Int32?
    public var inputs: [BuildInput]

    public init(at: Date, processGroup: Int32?, inputs: [BuildInput] = []) {
        self.at = at
        self.processGroup = processGroup
        self.inputs = inputs
    }
}

/// What `finishAndClaim` did: the builds it claimed, and why the end was
/// refused when it was.
public struct FinishedAndClaimed: Sendable {
    public var claimed: [ClaimedBuild]
    public var finishError: StoreError?

    public init(claimed: [ClaimedBuild], finishError: StoreError? = nil) {
        self.claimed = claimed
        self.finishError = finishError
    }
}

/// The newest attempt of a queued build, and its status.
public struct AttemptStatus: Sendable, Hashable {
    public var build: BuildID
    public var status: BuildStatus

    public init(build: BuildID, status: BuildStatus) {
        self.build = build
        self.status = status
    }
}

/// One planned build to queue.
public struct QueueRequest: Sendable, Hashable {
    public var job: JobID
    public var reason: String
    public var configSnapshot: String
    public var configHash: String
    /// A worker must have all of them.
    public var tags: [String]
    public var retries: Int
    public var retryDelay: Seconds
    /// Jobs earlier in the same plan that this build waits for.
    public var dependencies: [JobID]
    /// `--pin DEP=BUILD`: the worker consumes these builds of these dependencies.
    public var pins: [JobID: BuildID]
    /// nil: the build runs in any case. Otherwise its only reasons are its
    /// `dependencies` (`PlannedBuild.condition`): it runs only when the
    /// build of one of them ends successful with a new value, that is, for a
    /// dependency named here (one with `early_cutoff`), a value other than
    /// the one given (nil: none); for one not named, any successful build.
    /// Otherwise it is up to date and leaves the queue unbuilt, as a local
    /// run leaves it out.
    public var unchangedValues: [JobID: String?]?

    public init(
        job: JobID, reason: String, configSnapshot: String, configHash: String, tags: [String] = [],
        retries: Int = 0, retryDelay: Seconds = 0, dependencies: [JobID] = [],
        pins: [JobID: BuildID] = [:], unchangedValues: [JobID: String?]? = nil
    ) {
        self.unchangedValues = unchangedValues
        self.job = job
        self.reason = reason
        self.configSnapshot = configSnapshot
        self.configHash = configHash
        self.tags = tags
        self.retries = retries
        self.retryDelay = retryDelay
        self.dependencies = dependencies
        self.pins = pins
    }
}

/// A queued build, and whether it was already queued by another run.
public struct EnqueuedBuild: Sendable, Hashable {
    public var build: BuildRecord
    public var reused: Bool

    public init(build: BuildRecord, reused: Bool) {
        self.build = build
        self.reused = reused
    }
}

/// What `cancelQueued` did with one build.
public enum QueueCancellation: Sendable, Hashable {
    /// Cancelled (the build as it is now), with the queued builds failed
    /// because they waited for it.
    case cancelled(BuildRecord, failedDependents: [BuildID])
    /// A queued build already claimed by a worker, or finished.
    case claimedOrFinished(BuildRecord)
    /// A build a local run creates and runs itself, not a queued one.
    case notQueued(BuildRecord)
    case noSuchBuild
}

/// A queued build not claimed yet (`waitingBuilds`).
public struct WaitingBuild: Sendable, Hashable {
    public var build: BuildID
    /// A worker must carry all of them.
    public var tags: [String]
    /// A live worker carries all its tags (it may be busy).
    public var claimable: Bool
    /// How many workers are alive, whatever their tags.
    public var liveWorkers: Int

    public init(build: BuildID, tags: [String], claimable: Bool, liveWorkers: Int) {
        self.build = build
        self.tags = tags
        self.claimable = claimable
        self.liveWorkers = liveWorkers
    }
}
