import Foundation
import JobControl

/// `builds`, `show-build` and `log`: what the store remembers.
enum BuildHistoryCommands {
    static func builds(_ context: Context) throws -> Int32 {
        let invocation = context.invocation
        let jobs = try context.loadJobsOrStoreOnly(missing: "showing the stored builds")
        var query = BuildQuery(limit: try invocation.integer("limit", minimum: 1) ?? 50)
        if let id = invocation.positionals.first { query.job = try context.storedJobID(id, in: jobs) }
        query.status = try invocation.choice("status", as: BuildStatus.self)
        if let since = try invocation.duration("since") {
            query.since = Date().addingTimeInterval(-Double(since))
        }
        let records = try context.openStoreForReading(jobs)?.builds(query) ?? []
        if context.json {
            context.console.out(records.map { BuildJSON.build($0).string + "\n" }.joined())
            return 0
        }
        let palette = context.stdoutPalette
        let now = Date()
        var columns = Columns()
        for build in records {
            let outcome = BuildOutcomeText.outcome(build)
            let detail = BuildOutcomeText.detail(build, full: false)
            let cells = [
                "#\(build.id)", build.job, outcome,
                DurationFormat.age(since: build.createdAt, now: now),
                build.duration.map(DurationFormat.short) ?? "-",
                (detail.isEmpty ? build.reason : detail) + WorkerCommand.ranOn(build),
            ]
            var colored = cells
            colored[2] = palette.status(outcome)
            columns.add(colored)
        }
        context.console.out(columns.text)
        return 0
    }

    static func showBuild(_ context: Context) throws -> Int32 {
        if context.invocation.has("retval") && context.json {
            throw CLIError.usage(
                "options '--retval' and '--json' cannot be used together; 'jcrun show-build --json' carries the retval")
        }
        let jobs = try context.loadJobsOrStoreOnly(missing: "showing the stored build")
        let store = try context.openStoreForReading(jobs)
        let build = try context.build(context.invocation.positionals[0], jobs: jobs, store: store)
        guard let store else { throw CLIError.internalBug("a build was found without a store") }
        if context.invocation.has("retval") {
            guard let retval = build.retval else {
                throw CLIError.failed("build #\(build.id) has no return value")
            }
            context.console.out(retval + "\n")
            return 0
        }
        let inputs = try store.inputs(of: build.id)
        let consumers = try store.consumers(of: build.id)
        let progress = try store.progress(of: build.id)
        // A line stored in 64 KiB pieces counts once, its pieces joined.
        let tail = try LogLineTail.read(build.id, count: 20, from: store)
        if context.json {
            var object = BuildJSON.build(build)
            object.field(
                "inputs",
                objects: inputs.map { input in
                    var item = JSONText()
                    item.field("dependency", input.dependency)
                    item.field("build_id", input.consumed)
                    item.field("retval", input.retval)
                    item.field("pinned", input.pinned)
                    return item
                })
            object.field(
                "consumers",
                objects: consumers.map { input in
                    var item = JSONText()
                    item.field("job", jobOf(input.build, store: store))
                    item.field("build_id", input.build)
                    return item
                })
            object.field(
                "progress",
                objects: progress.map { node in
                    var item = JSONText()
                    item.field("group", strings: node.group)
                    item.field("current", node.current)
                    item.field("total", node.total)
                    item.field("status", node.status)
                    return item
                })
            object.field(
                "log_tail", strings: tail.lines.map(LogLineTail.text))
            context.console.out(object.string + "\n")
            return 0
        }
        let palette = context.stdoutPalette
        var text =
            "\(palette.bold("#\(build.id)")) \(build.job)  "
            + BuildOutcomeText.line(build, palette: palette) + "\n"
        text += "  reason      \(build.reason) (\(build.trigger), attempt \(build.attempt))\n"
        text += "  created     \(JSONText.timestamp(build.createdAt))\n"
        if let started = build.startedAt {
            text += "  started     \(JSONText.timestamp(started))\n"
        }
        if let finished = build.finishedAt {
            text += "  finished    \(JSONText.timestamp(finished))\n"
        }
        if build.trigger == "queue", let runner = build.runner {
            text += "  worker      \(runner.host) pid \(runner.pid)\n"
        }
        if let code = build.exitCode { text += "  exit code   \(code)\n" }
        if let signal = build.signal { text += "  signal      \(signal)\n" }
        // A skip's reason is stored as the build's error; an empty one is not shown.
        if let error = build.error.map(VisibleText.escaped), !error.isEmpty {
            text += build.status == .skipped ? "  skipped     \(error)\n" : "  error       \(error)\n"
        }
        if let retval = build.retval.map(VisibleText.escaped) {
            text += "  retval      \(retval.isEmpty ? "\"\"" : retval)\n"
        }
        for input in inputs {
            text +=
                "  consumed    \(input.dependency) #\(input.consumed)\(input.pinned ? " (pinned)" : "")\n"
        }
        for consumer in consumers { text += "  consumed by #\(consumer.build)\n" }
        if !progress.isEmpty {
            // The stored nodes, drawn as the runner's progress tree.
            var tree = ProgressTree()
            for node in progress {
                tree.apply(ProgressUpdate(
                    group: node.group, current: node.current, total: node.total, status: node.status))
            }
            text += "  progress\n"
            let lines = tree.render()
            text += lines.prefix(Self.progressLines).map { "    " + VisibleText.escaped($0) + "\n" }
                .joined()
            if lines.count > Self.progressLines {
                text += "    ... \(lines.count - Self.progressLines) more (all: jcrun show-build #\(build.id) --json)\n"
            }
        }
        if !tail.lines.isEmpty {
            let lines = tail.lines.count == 1 ? "line" : "lines"
            text += "  log (last \(tail.lines.count) \(lines); all: jcrun log #\(build.id))\n"
            for (index, pieces) in tail.lines.enumerated() {
                let cut = index == 0 && tail.firstIsCut ? "..." : ""
                let line =
                    pieces.count == 1 && pieces[0].raw == nil
                    ? VisibleText.escaped(pieces[0].text)
                    : VisibleText.escaped(bytes: LogLineTail.bytes(pieces))
                text += "    " + cut + line + "\n"
            }
        }
        context.console.out(text)
        return 0
    }

    private static func jobOf(_ build: BuildID, store: BuildStore) -> String? {
        (try? store.build(build))?.job
    }

    /// Lines of a build's progress tree `show-build` prints (a build may
    /// report tens of thousands of groups; `--json` has them all).
    static let progressLines = 100

    /// Log entries read at a time by `jcrun log`.
    static let logPage = 5_000

    static func log(_ context: Context) throws -> Int32 {
        let invocation = context.invocation
        let jobs = try context.loadJobsOrStoreOnly(missing: "showing the stored log")
        let store = try context.openStoreForReading(jobs)
        var build = try context.build(invocation.positionals[0], jobs: jobs, store: store)
        guard let store else { throw CLIError.internalBug("a build was found without a store") }
        var query = LogQuery(build: build.id)
        query.minimumLevel = try invocation.choice("level", as: LogLevel.self)
        query.stream = try invocation.choice("stream", as: LogStream.self)
        if let since = try invocation.duration("since") {
            query.since = Date().addingTimeInterval(-Double(since))
        }
        let follow = invocation.has("follow")
        let raw = invocation.has("raw")
        if raw && context.json {
            throw CLIError.usage("options '--raw' and '--json' cannot be used together")
        }
        // `--raw` is what the job wrote on stdout and stderr: its `@log`
        // entries (`log`) and jcrun's own (`jcrun`) only when `--stream` names them.
        let rawStreams: Set<LogStream> = query.stream.map { [$0] } ?? [.stdout, .stderr]
        let print = { (entries: [LogEntry]) in
            if raw {
                context.console.stdout.write(
                    bytes: rawBytes(entries.filter { rawStreams.contains($0.stream) }))
            } else {
                context.console.out(entries.map { line($0, json: context.json) }.joined())
            }
        }
        // Read in pages, so that memory does not grow with the log.
        query.limit = Self.logPage
        func printAll() throws {
            while true {
                let entries = try store.logs(query)
                guard let last = entries.last else { return }
                print(entries)
                query.afterSeq = last.seq
                if entries.count < Self.logPage { return }
                // Output lost (`>/dev/full`): reading on is pointless.
                if context.console.stdout.writeError != nil { return }
            }
        }

        // Print what is there; with --follow, poll until the build has ended,
        // and exit as the build did (1 when it failed), for scripts that wait.
        // A runner that died leaves a log that ends without a word of it:
        // say why the exit is 1.
        let ended: (BuildRecord) -> Int32 = { build in
            guard follow && build.status == .failed else { return 0 }
            if build.failureKind == .runnerDied {
                let why = build.error.map(VisibleText.escaped) ?? "runner died"
                context.console.error("jcrun: build #\(build.id) failed: \(why)\n")
            }
            return 1
        }
        while true {
            try printAll()
            guard follow, context.console.stdout.writeError == nil else { return 0 }
            guard !build.status.isFinished else { return ended(build) }
            Thread.sleep(forTimeInterval: 0.25)
            build = try store.build(build.id) ?? build
            if !build.status.isFinished, let runner = build.runner, !RunnerLiveness.isAlive(runner) {
                // Its runner died: reap it if the store is writable, and stop.
                _ = try? context.storeLocation(for: jobs).reapDeadRunners()
                build = try store.build(build.id) ?? build
                if !build.status.isFinished {
                    context.console.error(
                        "jcrun: build #\(build.id) is still marked running, but its runner (pid \(runner.pid)) died; the store is not writable, so it cannot be marked runner_died\n"
                    )
                    return 1
                }
            }
            if build.status.isFinished {
                // One last read for lines flushed with the build's end.
                try printAll()
                return ended(build)
            }
        }
    }

    /// The lines as the job wrote them: its exact bytes, a newline after each
    /// but a piece of a longer line.
    private static func rawBytes(_ entries: [LogEntry]) -> [UInt8] {
        var bytes: [UInt8] = []
        for entry in entries {
            if let raw = entry.raw { bytes += raw } else { bytes += entry.text.utf8 }
            if !entry.continued { bytes.append(0x0A) }
        }
        return bytes
    }

    /// `2026-05-28T20:26:40.300Z stdout info  text` (control characters
    /// shown as `\x1b`), or a JSON object.
    private static func line(_ entry: LogEntry, json: Bool) -> String {
        if json { return BuildJSON.logEntry(entry, withBuild: true).string + "\n" }
        let level = entry.level.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
        let stream = entry.stream.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
        let text = entry.raw.map { VisibleText.escaped(bytes: $0) } ?? VisibleText.escaped(entry.text)
        return "\(JSONText.timestamp(entry.time)) \(stream) \(level) \(text)\n"
    }
}
