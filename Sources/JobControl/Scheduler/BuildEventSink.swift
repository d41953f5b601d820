import Foundation

/// Takes one attempt's events from the runner: batches log lines and
/// coalesces progress for the store, and forwards every event to the observer.
///
/// Logs are written every 512 lines or 200 ms, and at the end, so a chatty
/// job costs few transactions and `jcrun log --follow` still sees it live.
/// TODO(#5): switch to the store's BuildRecorder once it lands; until then
/// a store error while writing logs is kept and reported once at the end.
final class BuildEventSink: @unchecked Sendable {
    private static let batchLines = 512
    private static let batchInterval: TimeInterval = 0.2

    private let record: BuildRecord
    private let store: StoreGate
    private let observer: ObserverGate
    private let onStarted: @Sendable (Int32) -> Void
    private let lock = NSLock()
    private var seq: Int64 = 0
    private var logs: [LogEntry] = []
    private var progress: [[String]: ProgressRecord] = [:]
    private var lastFlush = Date()
    private(set) var storeError: String?

    init(
        record: BuildRecord, store: StoreGate, observer: ObserverGate,
        onStarted: @escaping @Sendable (Int32) -> Void
    ) {
        self.record = record
        self.store = store
        self.observer = observer
        self.onStarted = onStarted
    }

    /// Records one event (the runner never calls this concurrently for one build).
    func handle(_ event: RunEvent) {
        let now = Date()
        lock.lock()
        switch event {
        case .started(let pid):
            lock.unlock()
            onStarted(pid)
            lock.lock()
        case .output(let stream, let text, let raw, let continued):
            append(stream: stream, level: .info, text: text, raw: raw, continued: continued, at: now)
        case .log(let level, let message):
            append(stream: .jcrun, level: level, text: message, raw: nil, continued: false, at: now)
        case .progress(let update):
            progress[update.group] = ProgressRecord(
                build: record.id, group: update.group, current: update.current, total: update.total,
                status: update.status, updatedAt: now)
        case .retval, .skip:
            break  // stored with the build's result
        }
        let due = logs.count >= Self.batchLines || now.timeIntervalSince(lastFlush) >= Self.batchInterval
        lock.unlock()
        observer.send { $0.buildEvent(record, event) }
        if due { flush() }
    }

    /// A line of jcrun's own in the build's log (a warning about the environment).
    func note(_ level: LogLevel, _ text: String) {
        lock.withLock { append(stream: .jcrun, level: level, text: text, raw: nil, continued: false, at: Date()) }
        observer.send { $0.buildEvent(record, .log(level: level, message: text)) }
    }

    /// Writes what is pending to the store.
    func flush() {
        let (pendingLogs, pendingProgress): ([LogEntry], [ProgressRecord]) = lock.withLock {
            defer {
                logs.removeAll(keepingCapacity: true)
                progress.removeAll()
                lastFlush = Date()
            }
            return (logs, Array(progress.values))
        }
        guard !pendingLogs.isEmpty || !pendingProgress.isEmpty else { return }
        do {
            try store.sync { store in
                if !pendingLogs.isEmpty { try store.appendLogs(pendingLogs) }
                if !pendingProgress.isEmpty { try store.saveProgress(pendingProgress) }
            }
        } catch {
            lock.withLock { if storeError == nil { storeError = "\(error)" } }
        }
    }

    private func append(
        stream: LogStream, level: LogLevel, text: String, raw: [UInt8]?, continued: Bool, at time: Date
    ) {
        seq += 1
        logs.append(
            LogEntry(
                build: record.id, seq: seq, time: time, stream: stream, level: level, text: text,
                raw: raw, continued: continued))
    }
}
