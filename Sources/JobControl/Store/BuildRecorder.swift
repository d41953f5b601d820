import Foundation

/// The scheduler's way into a `BuildStore`: thread-safe, and batching what
/// running builds produce so that a build printing a million lines costs a
/// few hundred rows and transactions, not a million.
///
/// Log lines are encoded as they arrive into a chunk per build
/// (`LogChunkEncoder`, no allocation per line); a chunk is sealed at about
/// 64 KiB. A background thread writes sealed chunks once `batchBytes` of
/// them wait, and on every tick of `flushInterval` also seals and writes the
/// partial chunks, so a line is readable (`jcrun log --follow`) at most
/// about `flushInterval` after it arrived; `finishBuild` writes the build's
/// rest first, so a finished build's log is whole. Progress is coalesced
/// per (build, group): only the latest figures are written. Lines get `seq`
/// 1, 2, 3... per build in the order `log` is called. Producers wait while
/// `maxPendingBytes` of lines are not yet written (a slow disk must not fill
/// memory, whatever the line count). Every store call goes through one
/// lock, so the store itself is used from one thread at a time.
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
    /// Sealed chunks of this many bytes wake the writer before its tick.
    public let batchBytes: Int
    /// Encoded lines not yet written, in bytes, before producers wait.
    public let maxPendingBytes: Int
    public let heartbeatInterval: TimeInterval

    private let store: BuildStore
    /// The time of lines and heartbeats; nil reads the system clock (a
    /// fixed clock is for tests).
    private let fixedClock: (@Sendable () -> Date)?
    private let onFailure: (@Sendable (StoreError) -> Void)?
    /// Serialises store calls; taken before `state` when both are needed.
    private let storeLock = NSLock()
    /// Guards everything below; the writer waits on it.
    private let state = NSCondition()
    /// Each build's chunk being filled, and its last seq.
    private var open: [BuildID: OpenLog] = [:]
    /// The `open` entry used last (most lines come from one build in a row).
    private var lastOpen: OpenLog?
    private var sealed: [LogChunk] = []
    private var sealedBytes = 0
    /// Bytes of open and sealed chunks not yet written (or being written).
    private var pendingBytes = 0
    /// A producer waits for `pendingBytes` to drop.
    private var producerWaiting = false
    private var nextTick: Date
    private var pendingProgress: [ProgressKey: ProgressRecord] = [:]
    private var progressOrder: [ProgressKey] = []
    private var failure: StoreError?
    /// Runners (with process groups) of running builds, to store (`noteStarted`).
    private var pendingRunners: [BuildID: RunnerIdentity] = [:]
    private var stopping = false
    private var writer: Thread?
    /// Running builds this recorder started, and their last heartbeat.
    private var running: Set<BuildID> = []
    private var lastHeartbeat = Date()

    private struct ProgressKey: Hashable {
        let build: BuildID
        let group: [String]
    }

    /// One build's chunk being filled (its encoder numbers the lines).
    private final class OpenLog {
        let build: BuildID
        var encoder: LogChunkEncoder

        init(build: BuildID) {
            self.build = build
            encoder = LogChunkEncoder(build: build)
        }
    }

    public init(
        store: BuildStore, flushInterval: TimeInterval = 0.1, batchBytes: Int = 256 * 1024,
        maxPendingBytes: Int = 1024 * 1024, heartbeatInterval: TimeInterval = 1,
        clock: (@Sendable () -> Date)? = nil,
        onFailure: (@Sendable (StoreError) -> Void)? = nil
    ) {
        self.store = store
        self.heartbeatInterval = heartbeatInterval
        self.flushInterval = flushInterval
        self.batchBytes = batchBytes
        self.maxPendingBytes = max(maxPendingBytes, 2 * LogChunkEncoder.targetSize)
        self.fixedClock = clock
        self.onFailure = onFailure
        nextTick = Date(timeIntervalSinceNow: flushInterval)
        let thread = Thread { [weak self] in
            while let recorder = self, recorder.waitAndFlush() {}
        }
        thread.name = "jcrun.store.writer"
        writer = thread
        thread.start()
    }

    deinit {
        state.withLock { stopping = true }
        flushReportingFailure(sealingAll: true)
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
        try flushBeforeEnd(of: id)
        try store.finishBuild(id, result: result)
    }

    /// Writes what `id` still has buffered, then ends it and creates `next`
    /// in one store write (`BuildStore.finishBuild(_:result:thenCreate:)`).
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild
    ) throws -> BuildRecord {
        try ending(id) { try store.finishBuild(id, result: result, thenCreate: next) }!
    }

    /// `finishBuild(_:result:thenCreate:)` unless another process wrote
    /// since the store's `othersChangeCounter()` gave `counter`: then `id`
    /// ends alone and the result is nil.
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild, ifOthersCounterIs counter: Int64
    ) throws -> BuildRecord? {
        try ending(id) {
            try store.finishBuild(id, result: result, thenCreate: next, ifOthersCounterIs: counter)
        }
    }

    /// Writes what `id` still has buffered, then ends it and stores `next`,
    /// whose process started already, under the reserved id, in one store
    /// write (`BuildStore.finishBuild(_:result:thenStoreStarted:as:runner:startedAt:)`).
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenStoreStarted next: NewBuild,
        as reserved: BuildReservation, runner: RunnerIdentity, startedAt: Date
    ) throws -> BuildRecord {
        try ending(id) {
            try store.finishBuild(
                id, result: result, thenStoreStarted: next, as: reserved, runner: runner,
                startedAt: startedAt)
        }!
    }

    /// `finishBuild(_:result:thenCreate:)` unless a job of `expected`
    /// stands otherwise in the store (`BuildStore.finishBuild(_:result:
    /// thenCreate:ifStatesAre:)`): then `id` ends alone and the result is nil.
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenCreate next: NewBuild, ifStatesAre expected: [JobStamp]
    ) throws -> BuildRecord? {
        try ending(id) { try store.finishBuild(id, result: result, thenCreate: next, ifStatesAre: expected) }
    }

    /// Under `storeLock`: writes `id`'s buffered lines, then `write`, which
    /// ends `id` and may store the next build; a running one is followed.
    private func ending(_ id: BuildID, _ write: () throws -> BuildRecord?) throws -> BuildRecord? {
        storeLock.lock()
        defer { storeLock.unlock() }
        try flushBeforeEnd(of: id)
        let made = try write()
        if let record = made, record.status == .running { state.withLock { _ = running.insert(record.id) } }
        return made
    }

    /// Writes `id`'s buffered lines before its end; the caller holds `storeLock`.
    /// Other builds' runners wait for the background write (a transaction
    /// each: with `-j 2` nearly every end found the other worker's build's
    /// group pending, and most of those builds end before it is needed).
    private func flushBeforeEnd(of id: BuildID) throws {
        state.withLock { pendingRunners[id] = nil }  // ends before its runner is written
        try flushLocked(sealingAll: true, runners: false)
        state.withLock {
            _ = running.remove(id)
            guard let log = open.removeValue(forKey: id) else { return }
            seal(log)  // a line logged meanwhile is written with the next batch
            if log === lastOpen { lastOpen = nil }
        }
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
        if let raw {
            raw.withUnsafeBufferPointer {
                log(
                    build, stream: stream, level: level, bytes: $0, isUTF8: false,
                    continued: continued, time: time)
            }
        } else {
            var text = text
            text.withUTF8 {
                log(
                    build, stream: stream, level: level, bytes: $0, isUTF8: true,
                    continued: continued, time: time)
            }
        }
    }

    /// Buffers one log line given as bytes: UTF-8 text, or when not
    /// `isUTF8` the exact bytes (stored as the entry's `raw`).
    public func log(
        _ build: BuildID, stream: LogStream, level: LogLevel, bytes: UnsafeBufferPointer<UInt8>,
        isUTF8: Bool, continued: Bool = false, time: Date? = nil
    ) {
        let micros = time.map(SQLiteStatement.micros) ?? nowMicros()
        let streamCode = LogChunkEncoder.streamCode(stream), levelCode = LogChunkEncoder.levelCode(level)
        state.lock()
        while pendingBytes >= maxPendingBytes && !stopping {
            producerWaiting = true
            state.broadcast()
            state.wait()
        }
        let (sealed, grown) = openLog(of: build).encoder.appendNext(
            time: micros, stream: streamCode, level: levelCode, bytes: bytes, isRaw: !isUTF8,
            continued: continued)
        pendingBytes += grown
        if let sealed { keep(sealed) }
        state.unlock()
    }

    /// Buffers whole lines read at once (`RunEvent.outputLines`), at
    /// `info`, numbering them: one lock and one time for all of them (they
    /// arrived together).
    // TODO(#4): a job printing a million short lines still takes 3.5-4.2x
    // `cat` in wall time (the goal is 2x): one build on a fresh store costs
    // about 11 ms before its first line, the writer thread, which the
    // reader waits for past `maxPendingBytes`, writes the 9 MB of encoded
    // lines twice (WAL, then checkpoint) through SQLite's 4 KiB pages, two
    // `pwrite`s a page, and closing deletes the 8 MB WAL (about 8 ms on a
    // file system mounted with `discard`).
    public func log(_ build: BuildID, lines: OutputLines, time: Date? = nil) {
        guard !lines.isEmpty else { return }
        let micros = time.map(SQLiteStatement.micros) ?? nowMicros()
        let levelCode = LogChunkEncoder.levelCode(.info)
        state.lock()
        while pendingBytes >= maxPendingBytes && !stopping {
            producerWaiting = true
            state.broadcast()
            state.wait()
        }
        let log = openLog(of: build)
        var encoder = log.encoder
        log.encoder = LogChunkEncoder(build: build)  // `encoder` is the only copy while appending
        var grown = 0
        var full: [LogChunk] = []
        var next = 0
        while next < lines.bytes.count {
            if encoder.lineCount == 0 { encoder.reserveFullSize() }
            let before = encoder.byteCount
            let stop = encoder.appendLines(lines, from: next, time: micros, level: levelCode)
            grown += encoder.byteCount - before
            if stop == next { full.append(encoder.seal()) }  // the next line starts a chunk
            next = stop
        }
        log.encoder = encoder
        pendingBytes += grown
        for chunk in full { keep(chunk) }
        state.unlock()
    }

    /// Now, in µs since 1970: `clock_gettime` without a `Date` on the
    /// path of every line, or the fixed clock.
    private func nowMicros() -> Int64 {
        if let fixedClock { return SQLiteStatement.micros(fixedClock()) }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }

    private func clock() -> Date { fixedClock?() ?? Date() }

    /// The open chunk of `build`; the caller holds `state`.
    private func openLog(of build: BuildID) -> OpenLog {
        if let last = lastOpen, last.build == build { return last }
        let log: OpenLog
        if let found = open[build] {
            log = found
        } else {
            log = OpenLog(build: build)
            open[build] = log
        }
        lastOpen = log
        return log
    }

    /// Moves `log`'s lines to the sealed chunks; the caller holds `state`.
    private func seal(_ log: OpenLog) {
        guard log.encoder.lineCount > 0 else { return }
        keep(log.encoder.seal())
    }

    /// Queues a sealed chunk for the writer; the caller holds `state`.
    private func keep(_ chunk: LogChunk) {
        sealedBytes += chunk.data.count
        sealed.append(chunk)
        if sealedBytes >= batchBytes { state.broadcast() }
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
        case .outputLines(let lines):
            log(build, lines: lines)
        case .log(let level, let message):
            log(build, stream: .log, level: level, text: message)
        case .notice(let level, let message):
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
        try flushLocked(sealingAll: true)
    }

    /// Stops the background writer after writing what is buffered.
    public func close() throws {
        state.withLock {
            stopping = true
            state.broadcast()
        }
        try flush()
    }

    /// Writes what build `id` still has buffered before its outcome is
    /// decided, so that a write that fails (a full disk, another process
    /// holding the lock past the wait) is known while the build can still
    /// fail for it, and is not charged to a later build. The failure is kept
    /// (`currentFailure`), not thrown. With nothing of `id`'s buffered, it
    /// only waits for a write under way (which may hold its last lines).
    public func flushBeforeOutcome(of id: BuildID) {
        let pending: Bool = state.withLock {
            pendingRunners[id] = nil  // it ends before its runner is written
            return (open[id]?.encoder.lineCount ?? 0) > 0 || !sealed.isEmpty
                || !pendingProgress.isEmpty
        }
        if pending {
            flushReportingFailure(sealingAll: true)
        } else {
            storeLock.withLock {}
        }
    }

    /// The first background write failure not taken yet (`takeFailure`).
    public var currentFailure: StoreError? { state.withLock { failure } }

    /// The first background write failure since the last call, if any.
    public func takeFailure() -> StoreError? {
        state.withLock {
            defer { failure = nil }
            return failure
        }
    }

    /// The writer thread's step: waits for a batch of sealed chunks, a
    /// waiting producer or the tick, then writes (on the tick, partial
    /// chunks too). False once the recorder is stopping.
    private func waitAndFlush() -> Bool {
        state.lock()
        while !stopping && sealedBytes < batchBytes && !producerWaiting && Date() < nextTick {
            _ = state.wait(until: nextTick)  // woken early by a batch, a producer or close()
        }
        let stop = stopping
        let now = Date()
        let tick = now >= nextTick || producerWaiting
        if now >= nextTick { nextTick = now.addingTimeInterval(flushInterval) }
        state.unlock()
        if stop { return false }
        flushReportingFailure(sealingAll: tick)
        return true
    }

    private func flushReportingFailure(sealingAll: Bool) {
        storeLock.lock()
        defer { storeLock.unlock() }
        do {
            try flushLocked(sealingAll: sealingAll)
        } catch {
            let storeError = error as? StoreError ?? .engine(message: "\(error)")
            state.withLock { if failure == nil { failure = storeError } }
            onFailure?(storeError)
        }
    }

    /// Takes the sealed chunks (with `sealingAll`, the partial ones too),
    /// the progress and (with `runners`) the runners to record, and writes
    /// them; the caller holds `storeLock`.
    private func flushLocked(sealingAll: Bool, runners takingRunners: Bool = true) throws {
        let (chunks, progress, runners):
            ([LogChunk], [ProgressRecord], [(BuildID, RunnerIdentity)]) = state.withLock {
                if sealingAll {
                    for log in open.values { seal(log) }
                }
                let chunks = sealed
                sealed = []
                sealedBytes = 0
                let progress = progressOrder.compactMap { pendingProgress[$0] }
                pendingProgress.removeAll(keepingCapacity: true)
                progressOrder.removeAll(keepingCapacity: true)
                guard takingRunners, !pendingRunners.isEmpty else { return (chunks, progress, []) }
                let runners = pendingRunners.sorted { $0.key < $1.key }
                pendingRunners.removeAll(keepingCapacity: true)
                return (chunks, progress, runners)
            }
        defer {
            // Written or dropped: a producer waiting on `maxPendingBytes` may
            // go on. Only then is anyone woken (not the writer thread at every
            // finishBuild).
            let written = chunks.reduce(0) { $0 + $1.data.count }
            state.withLock {
                pendingBytes -= written
                if producerWaiting {
                    producerWaiting = false
                    state.broadcast()
                }
            }
        }
        try store.appendLogChunks(chunks)
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
