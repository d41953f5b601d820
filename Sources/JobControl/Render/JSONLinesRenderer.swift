import Foundation

/// `--json` while building: one JSON object per line on stdout for every
/// event, each with `"v": 1` and `event`. Output lines (`log` events) are
/// included only with `-v`, as the other renderers do.
public final class JSONLinesRenderer: BuildObserver, @unchecked Sendable {
    private let output: TextOutput
    private let includeLogs: Bool
    private let clock: @Sendable () -> Date
    private let lock = NSLock()

    public init(
        output: TextOutput, includeLogs: Bool, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.output = output
        self.includeLogs = includeLogs
        self.clock = clock
    }

    public func planned(_ plan: Plan) {
        emit(BuildJSON.plan(plan))
    }

    public func buildStarted(_ build: BuildRecord, job: Job) {
        emit(BuildJSON.build(build, event: "build_started"))
    }

    public func buildEvent(_ build: BuildRecord, _ event: RunEvent) {
        var object: JSONText
        switch event {
        case .progress(let update):
            object = header("progress", build)
            object.field("group", strings: update.group)
            object.field("current", update.current)
            object.field("total", update.total)
            object.field("status", update.status)
        case .output(let stream, let text, _, let continued):
            guard includeLogs else { return }
            object = header("log", build)
            object.field("stream", stream.rawValue)
            object.field("level", LogLevel.info.rawValue)
            object.field("text", text)
            object.field("continued", continued)
        case .log(let level, let message), .notice(let level, let message):
            guard includeLogs else { return }
            object = header("log", build)
            if case .log = event {
                object.field("stream", LogStream.log.rawValue)
            } else {
                object.field("stream", LogStream.jcrun.rawValue)
            }
            object.field("level", level.rawValue)
            object.field("text", message)
            object.field("continued", false)
        case .retval:
            // Only a successful build provides a return value (PROTOCOL.md):
            // the `retval` event comes just before its `build_finished`.
            return
        case .skip(let reason):
            object = header("skipped", build)
            object.field("reason", reason)
        case .started, .outputLines:
            return
        }
        emit(object)
    }

    /// Every line with `--logs`, none otherwise.
    public var outputLineLimit: Int? { includeLogs ? nil : 0 }

    public func buildFinished(_ build: BuildRecord) {
        if build.status == .successful, let value = build.retval {
            var event = header("retval", build)
            event.field("retval", value)
            emit(event)
        }
        emit(BuildJSON.build(build, event: "build_finished"))
    }

    public func runFinished(_ summary: RunSummary) {
        let tally = RunTally(summary)
        var object = JSONText.versioned()
        object.field("event", "run_finished")
        object.field("builds", objects: summary.builds.map { BuildJSON.build($0) })
        object.field("successful", tally.successful)
        object.field("skipped", tally.skipped)
        object.field("failed", tally.failed.count)
        object.field("up_to_date", strings: tally.upToDate)
        object.field(
            "not_run",
            objects: tally.notRun.map { item in
                var entry = JSONText()
                entry.field("job", item.job)
                entry.field("reason", item.why)
                return entry
            })
        object.field("left_out", objects: summary.leftOut.map(BuildJSON.leftOut))
        object.field("interrupted_by", summary.interruptedBy.map(SummaryText.signalName))
        object.field("lock_not_obtained", summary.lockNotObtained)
        object.field("started_at", summary.startedAt)
        object.field("finished_at", summary.finishedAt)
        object.field("duration_s", summary.finishedAt.timeIntervalSince(summary.startedAt))
        emit(object)
    }

    /// `{"v":1,"event":...,"time":...,"build_id":...,"job":...`.
    private func header(_ event: String, _ build: BuildRecord) -> JSONText {
        var object = JSONText.versioned()
        object.field("event", event)
        object.field("time", clock())
        object.field("build_id", build.id)
        object.field("job", build.job)
        return object
    }

    private func emit(_ object: JSONText) {
        let line = object.string + "\n"
        lock.withLock { output.write(line) }
    }
}
