import Foundation

/// Draws a run as plain lines on stderr when it is not a terminal:
/// `[3/12] crawl_example_com started`, progress at most every 5 s per
/// build, then the summary. No escape codes unless colour was forced.
public final class PlainRenderer: BuildObserver, @unchecked Sendable {
    private let output: TextOutput
    private let palette: Palette
    private let verbosity: RenderVerbosity
    private let progressInterval: TimeInterval
    private let clock: @Sendable () -> Date
    private let lock = NSLock()

    private var total = 0
    private var indexOfJob: [JobID: Int] = [:]
    private var lastProgress: [BuildID: Date] = [:]
    private var tails: [BuildID: LogTail] = [:]
    private var failedTails: [BuildID: [String]] = [:]

    public init(
        output: TextOutput, palette: Palette = Palette(enabled: false),
        verbosity: RenderVerbosity = .normal,
        progressInterval: TimeInterval = 5, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.output = output
        self.palette = palette
        self.verbosity = verbosity
        self.progressInterval = progressInterval
        self.clock = clock
    }

    public func planned(_ plan: Plan) {
        lock.withLock { total = plan.builds.count }
    }

    public func buildStarted(_ build: BuildRecord, job: Job) {
        lock.withLock {
            if indexOfJob[build.job] == nil { indexOfJob[build.job] = indexOfJob.count + 1 }
            tails[build.id] = LogTail()
            lastProgress[build.id] = clock()
            guard verbosity != .quiet else { return }
            let attempt = build.attempt > 1 ? " (attempt \(build.attempt))" : ""
            output.write("\(prefix(build.job)) \(build.job) started\(attempt)\n")
        }
    }

    public func buildEvent(_ build: BuildRecord, _ event: RunEvent) {
        lock.withLock {
            switch event {
            case .output(_, let text, _, _):
                tails[build.id]?.append(text)
                if verbosity == .verbose {
                    output.write("\(build.job) | \(VisibleText.escaped(text))\n")
                }
            case .log(let level, let message), .notice(let level, let message):
                let line = "[\(level.rawValue)] \(message)"
                tails[build.id]?.append(line)
                if verbosity == .verbose {
                    output.write("\(build.job) | \(VisibleText.escaped(line))\n")
                }
            case .progress(let update):
                guard verbosity != .quiet else { return }
                let now = clock()
                if let last = lastProgress[build.id], now.timeIntervalSince(last) < progressInterval
                {
                    return
                }
                lastProgress[build.id] = now
                let figures = VisibleText.escaped(ProgressText.figures(update))
                output.write("\(prefix(build.job)) \(build.job) \(figures)\n")
            case .retval(let value):
                // Not `job | ...`: that form is the job's own output, which
                // may itself read `@retval x` inside `@stop-directives`.
                if verbosity == .verbose {
                    output.write("\(build.job) returns \(VisibleText.escaped(value))\n")
                }
            case .skip, .started, .outputLines:
                break
            }
        }
    }

    /// Lines are written in verbose mode only; otherwise a tail is kept.
    public var outputLineLimit: Int? { verbosity == .verbose ? nil : LogTail.defaultLimit }

    public func buildFinished(_ build: BuildRecord) {
        lock.withLock {
            let tail = tails.removeValue(forKey: build.id)
            lastProgress[build.id] = nil
            if build.status == .failed { failedTails[build.id] = tail?.contents ?? [] }
            guard verbosity != .quiet else { return }
            output.write(
                "\(prefix(build.job)) \(build.job) \(BuildOutcomeText.line(build, palette: palette))\n"
            )
        }
    }

    public func waitingForLock(_ job: JobID) {
        guard verbosity != .quiet else { return }
        lock.withLock { output.write("\(job) waits: another jcrun is building it\n") }
    }

    public func runFinished(_ summary: RunSummary) {
        lock.withLock {
            let text = SummaryText.render(
                summary, tails: failedTails, palette: palette, quiet: verbosity == .quiet)
            if !text.isEmpty { output.write(text) }
        }
    }

    private func prefix(_ job: JobID) -> String {
        "[\(indexOfJob[job] ?? 0)/\(max(total, indexOfJob.count))]"
    }
}
