import Foundation

/// The scheduler's way into a `BuildStore`: thread-safe, and batching what
/// running builds produce so that a build printing a million lines costs about
/// a thousand transactions, not a million.
///
/// Log lines and progress updates are buffered and written by a background
/// thread at most `flushInterval` after they arrive, at once when `batchSize`
/// lines wait, and before `finishBuild` (so a finished build's log is whole).
/// Progress is coalesced per (build, group): only the latest figures are
/// written. Lines get `seq` 1, 2, 3... per build in the order `log` is called.
/// Producers wait when `maxPending` lines are waiting (a slow disk must not
/// fill memory). Every store call goes through one lock, so the store itself
/// is used from one thread at a time.
///
/// The process group of a build the scheduler started (`noteStarted`) is
/// written with the next background write, not in a transaction of its own;
/// a build that finishes first never has it written (see `noteStarted`).
///
/// While builds run, the writer also records a heartbeat for them every
/// `heartbeatInterval` (`markAlive`), so that a build whose jcrun was
/// killed ends, when reaped, at the last moment it was known alive.
///
/// A write that fails in the background drops that batch and is reported to
/// `onFailure` and by `takeFailure()`; the scheduler shows it.
public final class BuildRecorder: @unchecked Sendable {
    public let flushInterval: TimeInterval
    public let batchSize: Int
    public let maxPending: Int
    public let heartbeatInterval: TimeInterval

    private let store: BuildStore
    private let clock: @Sendable () -> Date
    private let onFailure: (@Sendable (StoreError) -> Void)?
    /// Serialises store calls; taken before `state` when both are needed.
    private let storeLock = NSLock()
    /// Guards everything below; the writer waits on it.
    private let state = NSCondition()
    private var pendingLogs: [LogEntry] = []
    private var pendingProgress: [ProgressKey: ProgressRecord] = [:]
    private var progressOrder: [ProgressKey] = []
    private var lastSeq: [BuildID: Int64] = [:]
    private var failure: StoreError?
    /// Runners (with process groups) of running builds, to store (`noteStarted`).
    private var pendingRunners: [BuildID: RunnerIdentity] = [:]
    /// Producers waiting for room below `maxPending`; a write wakes only them.
    private var blockedProducers = 0
    private var stopping = false
    private var writer: Thread?
    /// Running builds this recorder started, and their last heartbeat.
    private var running: Set<BuildID> = []
    private var lastHeartbeat = Date()

    private struct ProgressKey: Hashable {
        let build: BuildID
        let group: [String]
    }

    public init(
        store: BuildStore, flushInterval: TimeInterval = 0.1, batchSize: Int = 1_000,
        maxPending: Int = 10_000, heartbeatInterval: TimeInterval = 1,
        clock: @escaping @Sendable () -> Date = { Date() },
        onFailure: (@Sendable (StoreError) -> Void)? = nil
    ) {
        self.store = store
        self.heartbeatInterval = heartbeatInterval
        self.flushInterval = flushInterval
        self.batchSize = batchSize
        self.maxPending = max(maxPending, batchSize)
        self.clock = clock
        self.onFailure = onFailure
        pendingLogs.reserveCapacity(batchSize)
        let thread = Thread { [weak self] in
            while let recorder = self, recorder.waitAndFlush() {}
        }
        thread.name = "jcrun.store.writer"
        writer = thread
        thread.start()
    }

    deinit {
        state.withLock { stopping = true }
        flushReportingFailure()
    }

    // MARK: Life cycle, passed through

    public func createBuild(_ build: NewBuild) throws -> BuildRecord {
        let record = try withStore { try $0.createBuild(build) }
        if record.status == .running { state.withLock { _ = running.insert(record.id) } }
        return record
    }

    public func markStarted(_ id: BuildID, runner: RunnerIdentity) throws {
        try withStore { try $0.markStarted(id, runner: runner) }
        state.withLock { _ = running.insert(id) }
    }

    /// Records the runner of a running build, with its process group, at
    /// the recorder's next background write (within `flushInterval`) instead
    /// of in a write transaction of its own, which a build lasting a
    /// millisecond would pay for nothing: a finished build's group is never
    /// needed, so one that ends before that write never has it written.
    ///
    /// The group is what a later jcrun kills when this one died during the
    /// build (`reapDeadRunners`). If jcrun is killed in the short time before
    /// it is written, the job's direct child dies with jcrun (parent-death
    /// signal) and the reaper finds the rest by the `JCRUN_BUILD_ID` and
    /// `JCRUN_JOB_ID` in their environment, as for a group never recorded.
    public func noteStarted(_ id: BuildID, runner: RunnerIdentity) {
        state.withLock {
            pendingRunners[id] = runner
            _ = running.insert(id)
        }
    }

    /// Writes what `id` still has buffered, then ends it.
    public func finishBuild(_ id: BuildID, result: BuildResult) throws {
        storeLock.lock()
        defer { storeLock.unlock() }
        state.withLock {
            pendingRunners[id] = nil
            _ = running.remove(id)
        }
        try flushLocked()
        try store.finishBuild(id, result: result)
        state.withLock { _ = lastSeq.removeValue(forKey: id) }
    }

    /// Runs `body` with the store, serialised with the recorder's own writes
    /// (queries, `reapDeadRunners`, `deleteBuild`).
    public func withStore<T>(_ body: (BuildStore) throws -> T) throws -> T {
        storeLock.lock()
        defer { storeLock.unlock() }
        return try body(store)
    }

    // MARK: Buffering

    /// Buffers one log line of `build`, numbering it.
    public func log(
        _ build: BuildID, stream: LogStream, level: LogLevel, text: String, raw: [UInt8]? = nil,
        continued: Bool = false, time: Date? = nil
    ) {
        let time = time ?? clock()
        state.lock()
        while pendingLogs.count >= maxPending && !stopping {
            blockedProducers += 1
            state.wait()
            blockedProducers -= 1
        }
        let seq = (lastSeq[build] ?? 0) + 1
        lastSeq[build] = seq
        pendingLogs.append(LogEntry(
            build: build, seq: seq, time: time, stream: stream, level: level, text: text, raw: raw,
            continued: continued))
        if pendingLogs.count == batchSize { state.broadcast() }
        state.unlock()
    }

    /// Buffers a progress update; an older one for the same node is replaced.
    public func progress(_ build: BuildID, _ update: ProgressUpdate, time: Date? = nil) {
        let record = ProgressRecord(
            build: build, group: update.group, current: update.current, total: update.total,
            status: update.status, updatedAt: time ?? clock())
        let key = ProgressKey(build: build, group: update.group)
        state.withLock {
            if pendingProgress.updateValue(record, forKey: key) == nil { progressOrder.append(key) }
        }
    }

    /// Buffers what a runner event means for the store: output and `@log`
    /// lines, progress. Other events are the scheduler's to handle.
    public func record(_ event: RunEvent, of build: BuildID) {
        switch event {
        case .output(let stream, let text, let raw, let continued):
            log(build, stream: stream, level: .info, text: text, raw: raw, continued: continued)
        case .log(let level, let message):
            log(build, stream: .jcrun, level: level, text: message)
        case .progress(let update):
            progress(build, update)
        case .started, .retval, .skip:
            break
        }
    }

    // MARK: Writing

    /// Writes everything buffered now.
    public func flush() throws {
        storeLock.lock()
        defer { storeLock.unlock() }
        try flushLocked()
    }

    /// Stops the background writer after writing what is buffered.
    public func close() throws {
        state.withLock {
            stopping = true
            state.broadcast()
        }
        try flush()
    }

    /// The first background write failure since the last call, if any.
    public func takeFailure() -> StoreError? {
        state.withLock {
            defer { failure = nil }
            return failure
        }
    }

    /// The writer thread's step: waits for a full batch or the interval,
    /// then writes. False once the recorder is stopping.
    private func waitAndFlush() -> Bool {
        state.lock()
        let deadline = Date(timeIntervalSinceNow: flushInterval)
        while !stopping && pendingLogs.count < batchSize && Date() < deadline {
            _ = state.wait(until: deadline)  // woken early by a full batch or close()
        }
        let stop = stopping
        state.unlock()
        if stop { return false }
        flushReportingFailure()
        return true
    }

    private func flushReportingFailure() {
        storeLock.lock()
        defer { storeLock.unlock() }
        do {
            try flushLocked()
        } catch {
            let storeError = error as? StoreError ?? .engine(message: "\(error)")
            state.withLock { if failure == nil { failure = storeError } }
            onFailure?(storeError)
        }
    }

    /// Takes the buffers and writes them; the caller holds `storeLock`.
    private func flushLocked() throws {
        let (logs, progress, runners): ([LogEntry], [ProgressRecord], [(BuildID, RunnerIdentity)]) =
            state.withLock {
                let logs = pendingLogs
                if !logs.isEmpty {
                    pendingLogs = []
                    pendingLogs.reserveCapacity(batchSize)
                }
                let progress = progressOrder.compactMap { pendingProgress[$0] }
                pendingProgress.removeAll(keepingCapacity: true)
                progressOrder.removeAll(keepingCapacity: true)
                let runners = pendingRunners.sorted { $0.key < $1.key }
                pendingRunners.removeAll(keepingCapacity: true)
                // Producers waiting on maxPending may go on; the writer
                // thread, waiting on the same condition, is left asleep.
                if blockedProducers > 0 { state.broadcast() }
                return (logs, progress, runners)
            }
        try store.appendLogs(logs)
        try store.saveProgress(progress)
        for (id, runner) in runners { try store.markStarted(id, runner: runner) }

        // The heartbeat of running builds, at most every `heartbeatInterval`.
        let now = clock()
        let alive: [BuildID] = state.withLock {
            guard !running.isEmpty, now.timeIntervalSince(lastHeartbeat) >= heartbeatInterval
            else { return [] }
            lastHeartbeat = now
            return Array(running)
        }
        try store.markAlive(alive)
    }
}
