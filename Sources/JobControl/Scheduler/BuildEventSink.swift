import Foundation

/// Takes one attempt's events from the runner: output, `@log` lines and
/// progress go to the store through the `BuildRecorder` (which batches
/// them), every event goes to the observer (lines read at once as `.output`
/// events, only the last `outputLineLimit` of them when the observer keeps
/// no more), and the first one gives the recorder the build's process
/// group (`noteStarted`).
final class BuildEventSink: @unchecked Sendable {
    private let record: BuildRecord
    private let recorder: BuildRecorder
    private let observer: ObserverGate
    private let runner: RunnerIdentity
    /// Work that waits for the process to start (the scheduler's, issue #4).
    private var afterStart: (() -> Void)?
    /// Stores the build's row with its process group as the process
    /// started, before anything else (a row written after the start, issue #5).
    private var storeStarted: ((Int32) -> Void)?

    init(
        record: BuildRecord, recorder: BuildRecorder, observer: ObserverGate, runner: RunnerIdentity,
        storeStarted: ((Int32) -> Void)? = nil, afterStart: (() -> Void)? = nil
    ) {
        self.record = record
        self.recorder = recorder
        self.observer = observer
        self.runner = runner
        self.storeStarted = storeStarted
        self.afterStart = afterStart
    }

    /// Records one event (the runner never calls this concurrently for one build).
    func handle(_ event: RunEvent) {
        if case .started(let pid) = event, let store = storeStarted {
            storeStarted = nil
            store(pid)  // the row holds the group
        } else if case .started(let pid) = event {
            // Stored for a later jcrun to stop the group if this one dies,
            // with the recorder's next write (a failure is a run error).
            var runner = self.runner
            runner.processGroup = pid
            recorder.noteStarted(record.id, runner: runner)
        } else {
            recorder.record(event, of: record.id)
        }
        if case .outputLines(let lines) = event {
            // Observers get `.output` events: every line, or the tail they keep.
            let events = lines.events(last: observer.outputLineLimit)
            guard !events.isEmpty else { return }
            observer.send { observer in
                for line in events { observer.buildEvent(record, line) }
            }
            return
        }
        observer.send { $0.buildEvent(record, event) }
        if case .started = event, let work = afterStart {
            afterStart = nil
            work()
        }
    }

    /// A line of jcrun's own in the build's log (a warning about the environment).
    func note(_ level: LogLevel, _ text: String) {
        recorder.log(record.id, stream: .jcrun, level: level, text: text)
        observer.send { $0.buildEvent(record, .notice(level: level, message: text)) }
    }
}
