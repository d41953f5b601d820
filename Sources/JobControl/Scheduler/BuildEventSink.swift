import Foundation

/// Takes one attempt's events from the runner: output, `@log` lines and
/// progress go to the store through the `BuildRecorder` (which batches
/// them), every event goes to the observer, and the first one marks the
/// build started with its process group.
final class BuildEventSink: @unchecked Sendable {
    private let record: BuildRecord
    private let recorder: BuildRecorder
    private let observer: ObserverGate
    private let runner: RunnerIdentity

    init(record: BuildRecord, recorder: BuildRecorder, observer: ObserverGate, runner: RunnerIdentity) {
        self.record = record
        self.recorder = recorder
        self.observer = observer
        self.runner = runner
    }

    /// Records one event (the runner never calls this concurrently for one build).
    func handle(_ event: RunEvent) {
        if case .started(let pid) = event {
            var runner = self.runner
            runner.processGroup = pid
            // The group must be stored for a later jcrun to stop it if this
            // one dies; the build goes on without, but says so.
            do {
                try recorder.markStarted(record.id, runner: runner)
            } catch {
                note(
                    .warning,
                    "jcrun could not record the job's process group \(pid): \(error); if jcrun dies now, the job's processes are not stopped"
                )
            }
        } else {
            recorder.record(event, of: record.id)
        }
        observer.send { $0.buildEvent(record, event) }
    }

    /// A line of jcrun's own in the build's log (a warning about the environment).
    func note(_ level: LogLevel, _ text: String) {
        recorder.log(record.id, stream: .jcrun, level: level, text: text)
        observer.send { $0.buildEvent(record, .log(level: level, message: text)) }
    }
}
