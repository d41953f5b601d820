import Foundation

/// The live view on a terminal (stderr): each running build with its
/// elapsed time, ETA and progress tree; finished builds collapse to one
/// line above it; the summary at the end.
///
/// Events only update state in O(1) (a run of `@progress` lines for one
/// node keeps only the newest, applied to the tree when a frame is drawn or
/// another node is reported); a timer draws at most
/// `framesPerSecond` frames, each one write that moves the cursor up over
/// the previous frame and rewrites its lines (erase-line, no full clear),
/// so the view never flickers and never slows a build.
public final class TerminalRenderer: BuildObserver, @unchecked Sendable {
    /// A class: events update it through a dictionary lookup, in place.
    private final class Running {
        let build: BuildRecord
        let startedAt: Date
        private var appliedTree = ProgressTree()
        /// The newest update not yet in `appliedTree`; a newer one for the
        /// same node replaces it, so a fast job costs one compare per line.
        private var pending: ProgressUpdate?
        let tail = LogTail()

        func progress(_ update: ProgressUpdate) {
            if pending?.group == update.group {
                // Only the figures change: no array or string is retained.
                pending!.current = update.current
                pending!.total = update.total
                if pending!.status != update.status { pending!.status = update.status }
                return
            }
            if let waiting = pending { appliedTree.apply(waiting) }
            pending = update
        }

        /// The tree with every update applied.
        var tree: ProgressTree {
            if let waiting = pending {
                appliedTree.apply(waiting)
                pending = nil
            }
            return appliedTree
        }

        init(build: BuildRecord, startedAt: Date) {
            self.build = build
            self.startedAt = startedAt
        }
    }

    private let output: TextOutput
    private let palette: Palette
    private let verbosity: RenderVerbosity
    private let medianDurations: [JobID: TimeInterval]
    private let size: @Sendable () -> TerminalSize
    private let clock: @Sendable () -> Date
    /// Guards the state events change; held only briefly, never while writing.
    private let lock = NSLock()
    /// Serialises building and writing frames, so a slow terminal delays
    /// the next frame, never the build sending events.
    private let drawLock = NSLock()
    private var timer: DispatchSourceTimer?

    private var total = 0
    private var indexOfJob: [JobID: Int] = [:]
    private var running: [BuildID: Running] = [:]
    /// The build the last event was for: most events follow one of the same build.
    private var lastEvent: (id: BuildID, state: Running)?
    private var runningOrder: [BuildID] = []
    private var pendingLines: [String] = []
    private var failedTails: [BuildID: [String]] = [:]
    private var frameHeight = 0
    private var dirty = false
    private var lastDraw = Date.distantPast

    /// - Parameters:
    ///   - medianDurations: each job's median successful build time, for ETAs.
    ///   - frameInterval: seconds between frames; nil draws only when `drawFrame()` is called (tests).
    public init(
        output: TextOutput, palette: Palette, verbosity: RenderVerbosity = .normal,
        medianDurations: [JobID: TimeInterval] = [:],
        size: @escaping @Sendable () -> TerminalSize = { TerminalSize.of(fd: 2) },
        clock: @escaping @Sendable () -> Date = { Date() }, frameInterval: TimeInterval? = 0.1
    ) {
        self.output = output
        self.palette = palette
        self.verbosity = verbosity
        self.medianDurations = medianDurations
        self.size = size
        self.clock = clock
        if let frameInterval {
            let timer = DispatchSource.makeTimerSource(
                queue: DispatchQueue(label: "jcrun.terminal-view"))
            timer.schedule(deadline: .now() + frameInterval, repeating: frameInterval)
            timer.setEventHandler { [weak self] in self?.tick() }
            timer.resume()
            self.timer = timer
        }
    }

    deinit { timer?.cancel() }

    public func planned(_ plan: Plan) {
        lock.withLock { total = plan.builds.count }
    }

    public func buildStarted(_ build: BuildRecord, job: Job) {
        lock.withLock {
            if indexOfJob[build.job] == nil { indexOfJob[build.job] = indexOfJob.count + 1 }
            running[build.id] = Running(build: build, startedAt: build.startedAt ?? clock())
            runningOrder.append(build.id)
            dirty = true
        }
    }

    public func buildEvent(_ build: BuildRecord, _ event: RunEvent) {
        lock.withLock {
            let state: Running?
            if let last = lastEvent, last.id == build.id {
                state = last.state
            } else {
                state = running[build.id]
                lastEvent = state.map { (build.id, $0) }
            }
            switch event {
            case .progress(let update):
                state?.progress(update)
                dirty = true
            case .output(_, let text, _, _):
                state?.tail.append(text)
                if verbosity == .verbose {
                    pendingLines.append("\(build.job) | \(VisibleText.escaped(text))")
                    dirty = true
                }
            case .log(let level, let message), .notice(let level, let message):
                let line = "[\(level.rawValue)] \(message)"
                state?.tail.append(line)
                if verbosity == .verbose {
                    pendingLines.append("\(build.job) | \(VisibleText.escaped(line))")
                    dirty = true
                }
            case .retval, .skip, .started, .outputLines:
                break
            }
        }
    }

    /// Lines are drawn in verbose mode only; otherwise a tail is kept.
    public var outputLineLimit: Int? { verbosity == .verbose ? nil : LogTail.defaultLimit }

    public func buildFinished(_ build: BuildRecord) {
        lock.withLock {
            let state = running.removeValue(forKey: build.id)
            if lastEvent?.id == build.id { lastEvent = nil }
            runningOrder.removeAll { $0 == build.id }
            if build.status == .failed { failedTails[build.id] = state?.tail.contents ?? [] }
            if verbosity != .quiet {
                // On a narrow terminal the job id is cut, never the outcome and time.
                let head = counter(build.job)
                let tail = " #\(build.id) " + BuildOutcomeText.line(build, palette: palette)
                let room = max(20, size().columns - 1) - DisplayWidth.of(head + tail) - 1
                let job = DisplayWidth.truncate(build.job, to: max(1, room))
                pendingLines.append(head + " " + job + tail)
            }
            dirty = true
        }
    }

    public func waitingForLock(_ job: JobID) {
        guard verbosity != .quiet else { return }
        lock.withLock {
            pendingLines.append("\(job) waits: another jcrun is building it")
            dirty = true
        }
    }

    public func runFinished(_ summary: RunSummary) {
        timer?.cancel()
        timer = nil
        drawLock.withLock {
            let text: String = lock.withLock {
                running.removeAll()
                runningOrder.removeAll()
                lastEvent = nil
                return frame()
                    + SummaryText.render(
                        summary, tails: failedTails, palette: palette, quiet: verbosity == .quiet)
            }
            if !text.isEmpty { output.write(text) }
        }
    }

    /// Draws one frame now (the timer calls this; tests call it directly).
    public func drawFrame() {
        drawLock.withLock {
            let text = lock.withLock { frame() }
            if !text.isEmpty { output.write(text) }
        }
    }

    private func tick() {
        drawLock.withLock {
            // Redraw when something changed, and every second for the clocks.
            let text: String = lock.withLock {
                let stale = !runningOrder.isEmpty && clock().timeIntervalSince(lastDraw) >= 1
                return dirty || stale ? frame() : ""
            }
            if !text.isEmpty { output.write(text) }
        }
    }

    /// The escape codes and lines that replace the previous frame. Caller holds the lock.
    private func frame() -> String {
        let terminal = size()
        let width = max(20, terminal.columns - 1)
        var live: [String] = []
        if verbosity != .quiet {
            for id in runningOrder {
                if let state = running[id] { live += lines(for: state, width: width) }
            }
        }
        let maxRows = max(1, terminal.rows - 2)
        if live.count > maxRows {
            let hidden = live.count - (maxRows - 1)
            live = Array(live.prefix(maxRows - 1)) + [palette.dim("... \(hidden) more lines")]
        }

        var text = frameHeight > 0 ? "\r\u{1B}[\(frameHeight)A" : ""
        for line in pendingLines {
            text += "\u{1B}[2K" + TerminalRenderer.fit(line, width: width) + "\n"
        }
        for line in live { text += "\u{1B}[2K" + TerminalRenderer.fit(line, width: width) + "\n" }
        if frameHeight > live.count { text += "\u{1B}[J" }
        if frameHeight == 0 && pendingLines.isEmpty && live.isEmpty { text = "" }
        pendingLines.removeAll(keepingCapacity: true)
        frameHeight = live.count
        dirty = false
        lastDraw = clock()
        return text
    }

    /// A running build: its header line, then its progress tree indented.
    private func lines(for state: Running, width: Int) -> [String] {
        let elapsed = clock().timeIntervalSince(state.startedAt)
        var header =
            "\(counter(state.build.job)) \(palette.bold(state.build.job)) #\(state.build.id) "
        header += palette.cyan("running") + " " + DurationFormat.short(elapsed)
        if let median = medianDurations[state.build.job] {
            let left = median - elapsed
            if left >= 1 {
                header += ", about \(DurationFormat.short(left)) left"
            } else if left > 0 {
                header += ", almost done"
            } else {
                header += ", longer than usual (\(DurationFormat.short(median)))"
            }
        }
        if state.build.attempt > 1 { header += " [attempt \(state.build.attempt)]" }
        guard !state.tree.isEmpty else { return [header] }
        let barWidth = max(5, min(20, (width + 1) / 5))
        return [header]
            + ProgressBars.lines(state.tree, barWidth: barWidth, palette: palette).map {
                "    " + $0
            }
    }

    private func counter(_ job: JobID) -> String {
        palette.dim("[\(indexOfJob[job] ?? 0)/\(max(total, indexOfJob.count))]")
    }

    /// Cuts a line to `width` visible characters, skipping escape sequences
    /// when counting, so a long line never wraps and breaks the redraw.
    static func fit(_ line: String, width: Int) -> String {
        var visible = 0
        var inEscape = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if inEscape {
                if character.isLetter { inEscape = false }
            } else if character == "\u{1B}" {
                inEscape = true
            } else {
                visible += DisplayWidth.isWide(character) ? 2 : 1
                if visible > width {
                    let cut = String(line[..<index])
                    return line.contains("\u{1B}") ? cut + "\u{1B}[0m" : cut
                }
            }
            index = line.index(after: index)
        }
        return line
    }
}
