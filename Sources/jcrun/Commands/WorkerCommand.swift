import Foundation
import JobControl

/// More than one machine: `jcrun worker` runs queued builds, and `--queue`
/// (with `--wait`) on `build` and `build-outdated` queues a plan for workers.
/// Both need a PostgreSQL store; on SQLite they are refused (exit 2).
enum WorkerCommand {
    /// `jcrun worker [-j N] [--tags T1,T2] [--grace DURATION] [--lease DURATION]`:
    /// claims and runs builds until SIGTERM, SIGINT or SIGHUP. Exits 0 after a
    /// graceful stop, 128 + the signal when running builds had to be interrupted.
    static func run(_ context: Context) throws -> Int32 {
        let invocation = context.invocation
        let tags = try workerTags(invocation.value("tags"))  // before the project is read
        let jobs = try context.loadJobs()
        let url = try postgresURL(context, jobs: jobs, feature: "'jcrun worker'")
        let lease = try invocation.duration("lease") ?? 15
        guard lease >= 1 else {
            throw CLIError.usage("option '--lease' expects at least 1s, got '0'")
        }
        let options = Worker.Options(
            slots: BuildCommand.buildsAtOnce(
                try invocation.integer("jobs", minimum: 1) ?? 1, needed: Int.max, context: context),
            tags: tags,
            grace: Double(try invocation.duration("grace") ?? 60), lease: Double(lease),
            environment: context.environment)
        _ = try context.openStoreForWriting(jobs)  // creates or migrates the schema first

        let console = context.console
        let quiet = context.verbosity == .quiet
        // Read again when a claimed build's job is not defined as it was queued.
        let (environment, base) = (context.environment, context.workingDirectory)
        let reload: @Sendable () throws -> JobSet = {
            try ProjectLoader.load(
                projectDir: jobs.projectDir, jobsDir: jobs.jobsDir, environment: environment,
                displayBase: base,
                cacheFolder: jobs.projectDir.appendingPathComponent(".jcrun/cache", isDirectory: true),
                mayCreateCacheFolder: true)
        }
        let worker = try Worker(
            jobs: jobs, reloadJobs: reload,
            open: { try PostgresStore.open(url: url, mode: .write) }, options: options,
            onEvent: { event in
                guard let line = describe(event, quiet: quiet) else { return }
                console.error("jcrun worker: " + line + "\n")
            })
        if !quiet {
            let tagText = tags.isEmpty ? "" : " with tags \(tags.joined(separator: ","))"
            console.error(
                "jcrun worker: \(RunnerLiveness.hostName) pid \(getpid()) runs up to \(options.slots) build\(options.slots == 1 ? "" : "s")\(tagText) from \(PostgresURL.redacted(url))\n"
            )
        }
        let forwarder = try SignalForwarder { signal in worker.stop(signal: signal) }
        let summary = worker.run()
        forwarder.restore()
        if context.verbosity == .verbose {
            console.error("jcrun worker: " + latencyLine(summary) + "\n")
        }
        return summary.interruptedBy.map { 128 + $0 } ?? 0
    }

    /// `--tags a,b`: the tags, each as a job's tag must be (`jobTagProblem`);
    /// white space around a tag is dropped, an empty one (`a,,b`) refused.
    /// None given, or `--tags ''`: no tags.
    static func workerTags(_ value: String?) throws -> [String] {
        guard let value, !value.allSatisfy(\.isWhitespace) else { return [] }
        return try value.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let tag = part.trimmingCharacters(in: .whitespaces)
            if jobTagProblem(tag) != nil {
                let which = tag.isEmpty ? "an empty tag" : "'\(tag)' is not a tag"
                throw CLIError.usage(
                    "option '--tags' expects tags of ASCII letters, digits, '_', '.' and '-', separated by commas (gpu,big-disk); got '\(value)', where \(which)"
                )
            }
            return tag
        }
    }

    /// Refuses `--wait` without `--queue` and `--queue` on an SQLite store,
    /// before the store is opened.
    static func checkQueueOptions(_ context: Context, jobs: JobSet) throws {
        let invocation = context.invocation
        guard invocation.has("queue") || invocation.has("wait") else { return }
        guard invocation.has("queue") else { throw CLIError.usage("option '--wait' needs '--queue'") }
        _ = try postgresURL(context, jobs: jobs, feature: "--queue")
    }

    /// `--queue`: queues `plan` for workers and prints each build's id on
    /// stdout; `--wait` then follows the builds and exits as a local run would.
    static func enqueue(_ plan: Plan, jobs: JobSet, store: BuildStore, context: Context) throws
        -> Int32
    {
        let invocation = context.invocation
        try checkQueueOptions(context, jobs: jobs)
        guard let queue = store as? BuildQueue else {
            throw CLIError.internalBug("a PostgreSQL store that is not a queue")
        }
        let missing = plan.leftOut.filter {
            $0.why == .missingDependency || $0.why == .protectedWithoutBuild
        }
        if let first = missing.first {
            context.console.error(
                "jcrun: error: dependency '\(first.job)' has no successful build; nothing queued\n")
            return ExitReason.missingDependency.code
        }

        // Queue, and say what was queued.
        let queued = try queue.enqueue(
            QueueFollower.requests(for: plan, jobs: jobs), trigger: "queue")
        for item in queued {
            if context.json {
                context.console.out(BuildJSON.build(item.build).string + "\n")
            } else {
                context.console.out(
                    "#\(item.build.id) \(item.build.job)" + (item.reused ? " (already queued)" : "")
                        + "\n")
            }
        }
        if queued.isEmpty && context.verbosity != .quiet {
            context.console.error("jcrun: nothing to queue: everything is up to date\n")
        }
        guard invocation.has("wait") else { return 0 }
        return try follow(queued, plan: plan, jobs: jobs, queue: queue, context: context)
    }

    /// `--wait`: draws the queued builds as a local run draws its own, from
    /// the store, and returns the same exit status.
    private static func follow(
        _ queued: [EnqueuedBuild], plan: Plan, jobs: JobSet, queue: BuildQueue, context: Context
    ) throws -> Int32 {
        let junit = context.invocation.value("junit").map { JUnitReport(path: context.resolve($0)) }
        let observer = RendererChoice.observer(for: context, plan: plan, store: queue, junit: junit)
        let startedAt = Date()
        let signals = SignalBox()
        let forwarder = try SignalForwarder { signal in signals.record(signal) }
        defer { forwarder.restore() }
        observer.planned(plan)
        var started: Set<BuildID> = []
        var finished: [BuildRecord] = []
        // Each attempt as a local run draws it: started, then its end (a
        // failed one with its log's tail).
        func show(_ record: BuildRecord) {
            guard record.status != .created, let job = jobs[record.job] else { return }
            if started.insert(record.id).inserted { observer.buildStarted(record, job: job) }
            guard record.status.isFinished else { return }
            if record.status == .failed,
                let tail = try? queue.logs(LogQuery(build: record.id, limit: 20, tail: true))
            {
                for line in tail {
                    observer.buildEvent(
                        record,
                        .output(
                            stream: line.stream, text: line.text, raw: line.raw,
                            continued: line.continued))
                }
            }
            observer.buildFinished(record)
            finished.append(record)
        }
        var warned: Set<BuildID> = []
        let outcome = try QueueFollower.follow(
            queued.map(\.build.id), queue: queue, stopSignal: signals.first, onUpdate: show,
            onWaiting: { waiting in
                let text = unclaimableWarning(waiting, queue: queue, warned: &warned)
                if !text.isEmpty { context.console.error(text) }
            })
        // Builds that left the queue unbuilt were up to date, as a local run leaves them out.
        let jobOf = Dictionary(queued.map { ($0.build.id, $0.build.job) }) { first, _ in first }
        let upToDate = outcome.upToDate.compactMap { id in
            jobOf[id].map { LeftOut(job: $0, why: .upToDate) }
        }
        // Interrupted: the builds no worker claimed yet stay queued; say so,
        // and how to cancel them (a tester's summary did not name them).
        let unclaimed =
            outcome.interruptedBy == nil ? [] : outcome.builds.filter { $0.status == .created }
        let notRun = unclaimed.map { build in
            (job: build.job, why: "still queued as #\(build.id), not claimed by a worker (jcrun cancel \(build.id))")
        }
        let summary = RunSummary(
            builds: finished, notRun: notRun, leftOut: plan.leftOut + upToDate,
            interruptedBy: outcome.interruptedBy,
            startedAt: startedAt, finishedAt: Date())
        observer.runFinished(summary)
        if let error = junit?.writeError {
            context.console.error(
                "jcrun: error: cannot write the JUnit report: \(ErrorReport.reason(error))\n")
            return ExitReason.usage.combined(with: summary.exitReason).code
        }
        return summary.exitCode
    }

    /// For queued builds no worker claimed yet: a warning line for those
    /// that no live worker could claim (none runs, or none carries all their
    /// tags), each build once (`warned`); empty when there is nothing new to
    /// say or the store cannot tell.
    static func unclaimableWarning(
        _ waiting: [BuildRecord], queue: BuildQueue, warned: inout Set<BuildID>
    ) -> String {
        let fresh = waiting.filter { !warned.contains($0.id) }
        guard !fresh.isEmpty, let found = try? queue.waitingBuilds(fresh.map(\.id)) else {
            return ""
        }
        let jobOf = Dictionary(fresh.map { ($0.id, $0.job) }) { first, _ in first }
        let stuck = found.filter { !$0.claimable }
        guard let first = stuck.first else { return "" }
        for item in stuck { warned.insert(item.build) }
        let cancel = "or cancel \(stuck.count == 1 ? "it" : "them") with \(cancelCommand(stuck))"
        if first.liveWorkers == 0 {
            let names = stuck.map { "#\($0.build) \(jobOf[$0.build] ?? "")" }
            let count = stuck.count == 1 ? "build" : "\(stuck.count) builds"
            return "jcrun: warning: no worker is running to claim queued \(count) \(listed(names)); start one ('jcrun worker'), \(cancel)\n"
        }
        var text = ""
        var byTags: [[String]: [WaitingBuild]] = [:]
        var order: [[String]] = []
        for item in stuck {
            if byTags[item.tags] == nil { order.append(item.tags) }
            byTags[item.tags, default: []].append(item)
        }
        let workers =
            first.liveWorkers == 1
            ? "the one running worker does not have"
            : "none of the \(first.liveWorkers) running workers has"
        for tags in order {
            let items = byTags[tags] ?? []
            let names = items.map { "#\($0.build) \(jobOf[$0.build] ?? "")" }
            let tagText = tags.joined(separator: ",")
            text += "jcrun: warning: \(listed(names)) \(items.count == 1 ? "needs" : "need") a worker with tags \(tagText), and \(workers) them all; start one ('jcrun worker --tags \(tagText)'), or cancel \(items.count == 1 ? "it" : "them") with \(cancelCommand(items))\n"
        }
        return text
    }

    /// `'jcrun cancel 4 5'`; for more than 10 builds `'jcrun cancel BUILD...'`
    /// (their ids are on stdout), not a line of a thousand ids.
    private static func cancelCommand(_ builds: [WaitingBuild]) -> String {
        guard builds.count <= 10 else { return "'jcrun cancel BUILD...' (the ids --queue printed)" }
        return "'jcrun cancel " + builds.map { String($0.build) }.joined(separator: " ") + "'"
    }

    /// `#1 a`, `#1 a and #2 b`, `#1 a, #2 b and 3 more`.
    private static func listed(_ names: [String]) -> String {
        if names.count <= 2 { return names.joined(separator: " and ") }
        if names.count == 3 { return names[0] + ", " + names[1] + " and " + names[2] }
        return names[0] + ", " + names[1] + " and \(names.count - 2) more"
    }

    /// The PostgreSQL URL of the project's store.
    ///
    /// - Throws: `CLIError.usage` for an SQLite store.
    private static func postgresURL(_ context: Context, jobs: JobSet, feature: String) throws
        -> String
    {
        switch try context.storeLocation(for: jobs) {
        case .postgresql(let url): return url
        case .sqlite(let path):
            throw CLIError.usage(
                "\(path): \(feature) needs a PostgreSQL store (storage: postgresql://...), which workers on several machines can share; this is an SQLite file"
            )
        }
    }

    private static func describe(_ event: Worker.Event, quiet: Bool) -> String? {
        switch event {
        case .claimed(let build):
            if quiet { return nil }
            return "#\(build.id) \(build.job) started"
                + (build.attempt > 1 ? " (attempt \(build.attempt))" : "")
        case .finished(let build, _):
            if quiet && build.status != .failed { return nil }
            let took = build.duration.map { " in " + DurationFormat.short($0) } ?? ""
            let detail = BuildOutcomeText.detail(build)
            let outcome = BuildOutcomeText.outcome(build) + (detail.isEmpty ? "" : " (\(detail))")
            return "#\(build.id) \(build.job) \(outcome)\(took)"
        case .waitingForLock(let build):
            return "#\(build.id) \(build.job) waits: another jcrun is building the job"
        case .upToDate(let build, let check):
            if quiet { return nil }
            return "#\(build.id) \(build.job) up to date: another jcrun built it meanwhile (#\(check)); dropped"
        case .leaseLost(let id):
            return "#\(id) was taken over after its lease ended; killed here"
        case .problem(let message):
            return "error: " + message
        }
    }

    /// ` (on host pid 42)` for a queued build a worker ran, else empty: the
    /// `builds` listing shows which worker ran each queued build.
    static func ranOn(_ build: BuildRecord) -> String {
        guard build.trigger == "queue", let runner = build.runner else { return "" }
        return " (on \(runner.host) pid \(runner.pid))"
    }

    /// `ran 120 builds; claim to start: median 3.1 ms, p95 5.0 ms, max 9.2 ms`.
    static func latencyLine(_ summary: Worker.Summary) -> String {
        let sorted = summary.claimToStart.sorted()
        guard !sorted.isEmpty else { return "ran \(summary.buildsRun) builds" }
        func ms(_ fraction: Double) -> String {
            String(
                format: "%.1f ms",
                sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))] * 1_000)
        }
        return
            "ran \(summary.buildsRun) builds; claim to start: median \(ms(0.5)), p95 \(ms(0.95)), max \(ms(1))"
    }
}

/// The first signal received while following queued builds.
private final class SignalBox: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32?

    func record(_ number: Int32) { lock.withLock { if signal == nil { signal = number } } }

    func first() -> Int32? { lock.withLock { signal } }
}
