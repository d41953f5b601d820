import Foundation
import JobControl

/// `jcrun JOB...`, `build` and `build-outdated`: plan, confirm protected
/// jobs, run the scheduler with the renderer this terminal calls for.
enum BuildCommand {
    static func run(_ context: Context, outdatedOnly: Bool) throws -> Int32 {
        let invocation = context.invocation
        // Option values first: a usage error must not touch the project.
        let workers = try invocation.integer("jobs", minimum: 1) ?? defaultWorkers
        let trigger = try invocation.choice("trigger", as: Trigger.self)?.rawValue
        _ = try invocation.duration("lock-timeout")  // checked with -n and --check too
        let jobs = try context.loadJobs(
            writing: !invocation.has("dry-run") && !invocation.has("check"))
        try WorkerCommand.checkQueueOptions(context, jobs: jobs)
        let named = try invocation.positionals.map {
            try context.job($0, in: jobs, suggestCommands: invocation.isImplicit, building: true).id
        }
        let dryRun = invocation.has("dry-run")
        let check = invocation.has("check")
        let request = try planRequest(
            context, jobs: jobs, named: named, outdatedOnly: outdatedOnly,
            confirming: !dryRun && !check)

        // Plan from the store's state; a dry run or a check never writes.
        let store: BuildStore? =
            dryRun || check
            ? try context.openStoreForReading(jobs) : try context.openStoreForWriting(jobs)
        // The counter first: a build another jcrun ends after it is seen
        // as a change when a job's lock is taken (`Scheduler.recheck`).
        let counter = try store?.othersChangeCounter()
        let states = try store?.jobStates(jobs.jobs.map(\.id)) ?? [:]
        var pinned: [BuildID: BuildRecord] = [:]
        for id in request.pins.values {
            if let record = try store?.build(id) { pinned[id] = record }
        }
        let plan = try Planner().plan(
            request, jobs: jobs, states: states, now: Date(), pinnedBuilds: pinned)

        if check { return report(check: plan, context: context) }
        if dryRun {
            context.console.out(
                context.json
                    ? BuildJSON.plan(plan).string + "\n"
                    : plan.describe().map { $0 + "\n" }.joined())
            return 0
        }
        guard let store else { throw CLIError.internalBug("no store for a build") }
        if invocation.has("queue") || invocation.has("wait") {
            return try WorkerCommand.enqueue(plan, jobs: jobs, store: store, context: context)
        }
        return try execute(
            plan, states: states, counter: counter, jobs: jobs, store: store, context: context,
            workers: workers, trigger: trigger ?? (outdatedOnly ? "build-outdated" : "cli"))
    }

    /// What may start a build besides the command line itself (`--trigger`).
    enum Trigger: String, CaseIterable {
        case web
    }

    /// `-j` when not given: one build per CPU (issue #5).
    static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `-j N`, or fewer when N builds at once would not fit the open-file
    /// limit (even raised to the hard limit at start): one warning line on
    /// stderr, and the run goes on with fewer builds at once rather than
    /// failing builds with "too many open files". `needed`: the most builds
    /// that could run at once (the plan's size).
    static func buildsAtOnce(_ requested: Int, needed: Int, context: Context) -> Int {
        let wanted = min(requested, max(1, needed))
        let fitting = OpenFileLimit.buildsThatFit(wanted)
        if fitting < wanted {
            let limit = OpenFileLimit.current.map(String.init) ?? "unknown"
            context.console.error(
                "jcrun: warning: -j \(requested) does not fit the open-file limit (\(limit), ulimit -n); running up to \(fitting) builds at once\n"
            )
        }
        return fitting
    }

    /// The request the options describe, after protected jobs are confirmed.
    private static func planRequest(
        _ context: Context, jobs: JobSet, named: [JobID], outdatedOnly: Bool, confirming: Bool
    ) throws -> PlanRequest {
        let invocation = context.invocation
        var pins: [JobID: BuildID] = [:]
        for pin in invocation.allValues("pin") {
            let parts = pin.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let build = BuildIDText.parse(parts[1]) else {
                throw CLIError.usage("option '--pin' expects DEP=BUILD (report=42), got '\(pin)'")
            }
            let dependency = try context.job(parts[0], in: jobs).id
            if let earlier = pins[dependency] {
                throw CLIError.usage(
                    "option '--pin' pins '\(dependency)' twice (#\(earlier) and #\(build)); pin each dependency once")
            }
            if named.contains(dependency) {
                throw CLIError.usage(
                    "'\(dependency)' is both named to be built and pinned (--pin \(pin)); name it or pin it, not both")
            }
            pins[dependency] = build
        }
        var allowProtected = invocation.has("allow-protected") || invocation.has("yes")
        let protected = named.filter { jobs[$0]?.protect == true }
        if !protected.isEmpty && !allowProtected && confirming {
            try confirmProtected(protected, context: context)
            allowProtected = true
        }
        if !confirming { allowProtected = true }
        return PlanRequest(
            targets: named.isEmpty ? .all : .jobs(named),
            mode: outdatedOnly ? .buildOutdated : .build,
            always: invocation.has("always"), noDeps: invocation.has("no-deps"),
            withRevdeps: invocation.has("with-revdeps"), pins: pins, allowProtected: allowProtected)
    }

    /// On a terminal, each protected job's id must be typed; elsewhere the
    /// build is refused (exit 2) unless `--allow-protected` or `--yes`.
    private static func confirmProtected(_ ids: [JobID], context: Context) throws {
        guard context.console.canAsk else { throw CLIError.protectedNeedsConfirmation(ids) }
        for id in ids {
            let answer = context.console.ask("'\(id)' is protected. Type its id to build it: ")
            guard answer?.trimmingCharacters(in: .whitespaces) == id else {
                throw CLIError.notConfirmed
            }
        }
    }

    /// `--check`: exit 1 when a job is outdated on its own account (a job
    /// due by its `max_age` is), listing it on stderr as `outdated: `; a
    /// build planned only because a dependency is rebuilt first follows as
    /// `conditional: `, since it may end up to date. Such a build never
    /// comes alone: the dependency that starts its chain is outdated.
    private static func report(check plan: Plan, context: Context) -> Int32 {
        let lines = plan.describe()
        if context.json {
            context.console.out(BuildJSON.plan(plan).string + "\n")
        } else if context.verbosity != .quiet && !plan.builds.isEmpty {
            var text = ""
            for (build, line) in zip(plan.builds, lines) {
                text += (build.condition == nil ? "outdated: " : "conditional: ") + line + "\n"
            }
            context.console.error(text)
        }
        return plan.builds.contains { $0.condition == nil } ? 1 : 0
    }

    /// Refuses, before anything runs, a report path that cannot be written:
    /// a folder that does not exist or is not writable, or a path that is a folder.
    private static func checkWritable(_ path: URL, as written: String) throws {
        if written.isEmpty {
            throw CLIError.usage("option '--junit' needs a file path, not an empty one")
        }
        let folder = path.deletingLastPathComponent().path
        var info = stat()
        let problem: String?
        if JUnitReport.writesThrough(path.path) {  // a link, a pipe, /dev/stdout: written through
            if stat(path.path, &info) != 0 {
                problem = nil  // a link to nothing yet: writing makes its file, as `>` does
            } else if info.st_mode & S_IFMT == S_IFDIR {
                problem = "it is a folder"
            } else {
                problem = access(path.path, W_OK) == 0 ? nil : "it is not writable"
            }
        } else if stat(folder, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR {
            problem = "folder '\(folder)' does not exist"
        } else if access(folder, W_OK) != 0 {
            problem = "folder '\(folder)' is not writable"
        } else if stat(path.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            problem = "it is a folder"
        } else {
            problem = nil
        }
        if let problem {
            throw CLIError.usage("\(written): cannot write the JUnit report: \(problem)")
        }
    }

    private static func execute(
        _ plan: Plan, states: [JobID: JobState], counter: Int64?, jobs: JobSet, store: BuildStore,
        context: Context, workers: Int, trigger: String
    ) throws -> Int32 {
        let invocation = context.invocation
        var lockWait = Scheduler.LockWait.wait(timeout: 3600)
        if let timeout = try invocation.duration("lock-timeout") {
            lockWait = .wait(timeout: Double(timeout))
        }
        if invocation.has("no-wait") { lockWait = .noWait }
        var lockDirectory: URL?
        var sharedLocks: PostgresJobLocks?
        switch try context.storeLocation(for: jobs) {
        case .sqlite(let path):
            let folder = Scheduler.lockDirectory(besideDatabase: URL(fileURLWithPath: path))
            try Scheduler.checkLockDirectory(folder)
            lockDirectory = folder
        case .postgresql(let url):
            sharedLocks = PostgresJobLocks(url: url)  // other machines see these
        }
        defer { sharedLocks?.close() }
        let options = Scheduler.Options(
            workers: buildsAtOnce(workers, needed: plan.builds.count, context: context),
            keepGoing: invocation.has("keep-going"),
            trigger: trigger, lockDirectory: lockDirectory, lockWait: lockWait,
            environment: context.environment, sharedLocks: sharedLocks)

        let junit = invocation.value("junit").map { JUnitReport(path: context.resolve($0)) }
        if junit != nil, let written = invocation.value("junit") {
            try checkWritable(context.resolve(written), as: written)
        }
        let observer = RendererChoice.observer(for: context, plan: plan, store: store, junit: junit)
        let scheduler = Scheduler(
            jobs: jobs, store: store, launcher: ProcessLauncher(), observer: observer,
            options: options)
        let leavers = GroupLeavers()
        let forwarder = try SignalForwarder { signal in
            scheduler.interrupt(signal: signal)
            leavers.hurry()  // stopping what left its group: SIGKILL at once
        }
        leavers.adopt()
        let summary = scheduler.run(plan, states: states, storeCounter: counter)
        // Still catching signals: a Ctrl-C while the leavers are stopped
        // kills them at once instead of leaving them behind.
        let grace = plan.builds.compactMap { jobs[$0.job]?.stopGrace }.max() ?? 10
        let stopped = leavers.stop(grace: Double(grace)) { waiting in
            context.console.error("jcrun: \(waiting)\n")
        }
        forwarder.restore()
        if let stopped { context.console.error("jcrun: warning: \(stopped)\n") }

        for error in summary.errors { context.console.error("jcrun: error: \(error)\n") }
        if let error = junit?.writeError {
            // `--junit /dev/stdout | head`: the reader left, as for stdout itself.
            if (error as? POSIXError)?.code == .EPIPE {
                return ExitReason.interrupted(signal: SIGPIPE).combined(with: summary.exitReason).code
            }
            let path = invocation.value("junit")
            context.console.error(
                "jcrun: error: \(path ?? "--junit"): cannot write the JUnit report: \(ErrorReport.reason(error))\n"
            )
            return ExitReason.usage.combined(with: summary.exitReason).code
        }
        return summary.exitCode
    }
}
