import Foundation
import JobControl

/// `install`, `uninstall`, `prune` and `delete`: the store's life cycle.
enum MaintenanceCommands {
    static func install(_ context: Context) throws -> Int32 {
        let jobs = try context.loadJobs()
        let location = try context.storeLocation(for: jobs)
        switch try location.install() {
        case .created: context.console.error("jcrun: created the state database \(location)\n")
        case .migrated(let from, let to):
            context.console.error("jcrun: migrated \(location) from schema \(from) to \(to)\n")
        case .upToDate: context.console.error("jcrun: \(location) is up to date\n")
        }
        return 0
    }

    static func uninstall(_ context: Context) throws -> Int32 {
        let jobs = try context.loadJobs()
        let location = try context.storeLocation(for: jobs)
        // Whether there are tables to drop: a read-only open finds none
        // (`notInstalled`) in a missing or empty file; the file itself stays.
        var installed = true
        do {
            _ = try location.open(mode: .readOnly)
        } catch StoreError.notInstalled {
            installed = false
        } catch {
            // Unreadable or newer: `uninstall` below reports what is wrong.
        }
        guard installed else {
            context.console.error("jcrun: nothing to uninstall: no jcrun tables in \(location)\n")
            return 0
        }
        if !context.invocation.has("yes") {
            guard context.console.canAsk else {
                throw CLIError.usage(
                    "uninstall drops jcrun's tables, with every build and log, in \(location); pass --yes to confirm")
            }
            let answer = context.console.ask(
                "This drops jcrun's tables, with every build and log, in \(location).\nType its path to confirm: ")
            guard answer == location.description else { throw CLIError.notConfirmed }
        }
        try location.uninstall()
        context.console.error("jcrun: dropped jcrun's tables in \(location)\n")
        return 0
    }

    /// `prune`: what one pass would delete is found first (a dry run), so
    /// that builds of jobs with a `cleanup` can be deleted one by one, each
    /// after its cleanup succeeded (a failure keeps the build; `--force`
    /// deletes it anyway), and the rest in one transaction. Builds of jobs no
    /// longer defined are kept, since their cleanup cannot be known, unless
    /// `--force`, as `delete` does.
    static func prune(_ context: Context) throws -> Int32 {
        let invocation = context.invocation
        // Thinning logs, or deleting with --force, needs only the store;
        // otherwise each job's cleanup must be known.
        let jobs =
            invocation.has("logs-only")
            ? try context.loadJobsOrStoreOnly(missing: "thinning the stored logs")
            : invocation.has("force")
                ? try context.loadJobsOrStoreOnly(missing: "deleting builds without their cleanup")
                : try context.loadJobs()
        let olderThan = try invocation.duration("older-than") ?? 30 * 86400
        var request = PruneRequest(olderThan: Date().addingTimeInterval(-Double(olderThan)))
        if let job = invocation.value("job") { request.job = try context.storedJobID(job, in: jobs) }
        request.keep = try invocation.integer("keep", minimum: 0) ?? 0
        request.logsOnly = invocation.has("logs-only")
        request.level = try invocation.choice("level", as: LogLevel.self)
        request.vacuum = invocation.has("vacuum")
        if request.level != nil && !request.logsOnly {
            throw CLIError.usage("option '--level' needs '--logs-only'")
        }
        let what = request.logsOnly ? "log lines" : "builds"
        try confirm(context, "delete \(what) older than \(DurationText.format(olderThan))?")
        guard let store = try context.openExistingStoreForWriting(jobs) else {
            context.console.error("jcrun: deleted 0 builds and 0 log lines (there is no store yet)\n")
            return 0
        }
        var cleanedUp: [(BuildID, Job)] = []
        var undefined: [JobID] = []
        if !request.logsOnly {
            let withCleanup = jobs.jobs.filter { $0.cleanup != nil }
            var dryRun = request
            dryRun.dryRun = true
            dryRun.vacuum = false
            dryRun.listBuildsOf = Set(withCleanup.map(\.id))
            var found = try store.prune(dryRun)
            if !invocation.has("force") {
                undefined = found.jobs.filter { jobs[$0] == nil }.sorted()
                if !undefined.isEmpty {
                    // Kept builds protect what they consumed: find again without them.
                    dryRun.exceptJobs = Set(undefined)
                    found = try store.prune(dryRun)
                }
            }
            for id in found.buildIDs {
                if let record = try store.build(id), let job = jobs[record.job] {
                    cleanedUp.append((id, job))
                }
            }
            request.exceptJobs = dryRun.listBuildsOf.union(undefined)
        }
        // The others first: a deleted build that consumed one of these no
        // longer holds it when its cleanup has run and it goes.
        var result = try store.prune(request)
        var failed = false
        for (id, job) in cleanedUp {
            guard let record = try store.build(id) else { continue }
            if try cleanUp(record, of: job, jobs: jobs, store: store, context: context) {
                result.buildsDeleted += 1
            } else {
                failed = true
            }
        }
        if !undefined.isEmpty {
            let names = undefined.map { "'\($0)'" }.joined(separator: ", ")
            context.console.error(
                "jcrun: kept the builds of \(undefined.count == 1 ? "job" : "jobs") \(names), no longer defined: their cleanup cannot run; --force deletes them\n"
            )
        }
        context.console.error(
            "jcrun: deleted \(counted(result.buildsDeleted, "build")) and "
                + "\(counted(result.logLinesDeleted, "log line"))\n")
        return failed || !undefined.isEmpty ? 1 : 0
    }

    /// Runs `job`'s cleanup for `record`, then deletes the build if it
    /// succeeded or `--force` is given; says what happened on stderr.
    private static func cleanUp(
        _ record: BuildRecord, of job: Job?, jobs: JobSet, store: BuildStore, context: Context
    ) throws -> Bool {
        // Another jcrun may be deleting this build: its cleanup runs once.
        let lock = job == nil ? -1 : lockCleanups(of: record.job, context: context, jobs: jobs)
        defer { if lock >= 0 { close(lock) } }
        guard try store.build(record.id) != nil else { return true }  // deleted meanwhile
        if let job, let problem = try runCleanup(
            of: job, build: record, jobs: jobs, store: store, context: context),
            !context.invocation.has("force")
        {
            context.console.error(
                "jcrun: error: cleanup of build #\(record.id) failed (\(problem)); the build is kept (--force deletes it anyway)\n"
            )
            return false
        }
        try store.deleteBuild(record.id)
        return true
    }

    /// The build ids `delete` and `cancel` were given (`42` or `#42`), in
    /// order, each once; an id too large to exist is no such build, a word
    /// that is no id is a usage error.
    private static func buildIDs(_ texts: [String]) throws -> [BuildID] {
        var seen: Set<BuildID> = []
        var ids: [BuildID] = []
        for text in texts {
            if BuildIDText.looksLikeBuildID(text) && BuildIDText.parse(text) == nil {
                throw CLIError.noSuchBuild("#" + text.drop { $0 == "#" })
            }
            guard let id = BuildIDText.parse(text) else {
                throw CLIError.usage("'\(text)' is not a build id (42 or #42)")
            }
            if seen.insert(id).inserted { ids.append(id) }
        }
        return ids
    }

    /// `delete ID...`: every id is checked (it exists, it is finished, its
    /// job is defined or `--force` is given) before anything is deleted or
    /// any cleanup runs; an id named twice counts once. A refusal exits 2; a
    /// cleanup that fails keeps its build and exits 1.
    static func delete(_ context: Context) throws -> Int32 {
        let ids = try buildIDs(context.invocation.positionals)
        let force = context.invocation.has("force")
        let jobs =
            force
            ? try context.loadJobsOrStoreOnly(missing: "deleting builds without their cleanup")
            : try context.loadJobs()
        let store = try context.openExistingStoreForWriting(jobs)
        let records = try ids.map { id -> BuildRecord in
            guard let record = try store?.build(id) else { throw CLIError.noSuchBuild("#\(id)") }
            if record.status == .created || record.status == .running {
                // A queued build no worker claimed yet is `created` for as
                // long as no worker can: say how to end it.
                let hint = record.status == .created && record.trigger == "queue"
                    ? " (a queued build no worker has claimed yet: 'jcrun cancel \(id)' ends it)" : ""
                throw CLIError.usage(
                    "build #\(id) is \(record.status.rawValue); only a finished build can be deleted\(hint)"
                )
            }
            if jobs[record.job] == nil && !force {
                throw CLIError.usage(
                    "build #\(id): job '\(record.job)' is no longer defined, so its cleanup cannot run; --force deletes the build without it"
                )
            }
            return record
        }
        try confirm(
            context,
            "delete " + records.map { "#\($0.id) (\($0.job))" }.joined(separator: ", ") + "?")
        guard let store else { return 0 }  // no ids: nothing to delete
        var failed = false
        for record in records {
            // Cleanup first; the rows go only when it succeeded (or --force).
            if try cleanUp(record, of: jobs[record.job], jobs: jobs, store: store, context: context) {
                context.console.error("jcrun: deleted build #\(record.id) of '\(record.job)'\n")
            } else {
                failed = true
            }
        }
        return failed ? 1 : 0
    }

    /// `jcrun cancel BUILD...`: cancels queued builds no worker has claimed
    /// yet (`BuildQueue.cancelQueued`): each becomes `failed` (kind
    /// `cancelled`), and the queued builds waiting for it fail
    /// `dependency_failed`, so no `--wait` and no dependent waits for it
    /// forever. A build that runs (claimed by a worker, or a local run's),
    /// or has finished, is not cancelled: one error line each, exit 2.
    static func cancel(_ context: Context) throws -> Int32 {
        let ids = try buildIDs(context.invocation.positionals)
        let jobs = try context.loadJobsOrStoreOnly(missing: "cancelling builds")
        guard let store = try context.openExistingStoreForWriting(jobs) else {
            throw CLIError.noSuchBuild("#\(ids[0])")
        }
        for id in ids where try store.build(id) == nil { throw CLIError.noSuchBuild("#\(id)") }
        var outcomes: [BuildID: QueueCancellation] = [:]
        if let queue = store as? BuildQueue {
            outcomes = try queue.cancelQueued(ids)
        } else {
            for id in ids { outcomes[id] = try store.build(id).map { .notQueued($0) } ?? .noSuchBuild }
        }
        var refused = false
        for id in ids {
            switch outcomes[id] ?? .noSuchBuild {
            case .cancelled(let record, let dependents):
                var line = "jcrun: cancelled build #\(id) of '\(record.job)'"
                if !dependents.isEmpty {
                    let list = dependents.map { "#\($0)" }.joined(separator: ", ")
                    line +=
                        "; \(dependents.count == 1 ? "build" : "builds") \(list), queued to wait for it, failed (dependency_failed)"
                }
                if context.verbosity != .quiet { context.console.error(line + "\n") }
            case .claimedOrFinished(let record), .notQueued(let record):
                refused = true
                context.console.error("jcrun: error: " + notCancelled(record) + "\n")
            case .noSuchBuild:
                refused = true
                context.console.error("jcrun: error: no build #\(id)\n")
            }
        }
        return refused ? ExitReason.usage.code : 0
    }

    /// Why `record` cannot be cancelled.
    private static func notCancelled(_ record: BuildRecord) -> String {
        let build = "build #\(record.id) of '\(record.job)'"
        let only = "only a queued build that no worker has claimed yet can be cancelled"
        if record.status.isFinished {
            return "\(build) is already \(record.status.rawValue); \(only)"
        }
        let runner = record.runner.map { " (\($0.host) pid \($0.pid))" } ?? ""
        if record.trigger == "queue" {
            return "\(build) is already claimed by a worker\(runner); \(only); stopping that worker (SIGTERM) interrupts it"
        }
        return "\(build) is run by a local jcrun\(runner), not queued; \(only); interrupt that jcrun (Ctrl-C, or kill its pid) instead"
    }

    /// Asks on a terminal unless `--yes`; without one, refuses (exit 2).
    private static func confirm(_ context: Context, _ question: String) throws {
        guard !context.invocation.has("yes") else { return }
        guard context.console.canAsk else {
            throw CLIError.usage("\(question.dropLast()) needs confirmation; pass --yes")
        }
        let answer = context.console.ask(question + " [y/N] ")?.lowercased()
        guard answer == "y" || answer == "yes" else { throw CLIError.notConfirmed }
    }

    /// Waits for the lock on `job`'s cleanups beside an SQLite store; the
    /// descriptor to close, or -1 (no lock folder: a PostgreSQL store).
    // TODO(#3): on PostgreSQL two `delete`s of one build on two machines may
    // both run its cleanup; only one deletes the rows.
    // TODO(#3): when `.jcrun/locks` is a file the cleanup runs without the
    // lock (a build run refuses such a store up front; delete and prune do not).
    private static func lockCleanups(of job: JobID, context: Context, jobs: JobSet) -> Int32 {
        guard case .sqlite(let path)? = try? context.storeLocation(for: jobs) else { return -1 }
        let folder = Scheduler.lockDirectory(besideDatabase: URL(fileURLWithPath: path))
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = Scheduler.cleanupLockPath(in: folder, job: job)
        let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return -1 }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        return fd
    }

    // TODO(#3): jcrun killed with SIGKILL during a cleanup leaves the
    // processes the cleanup started running; nothing records them to reap.
    /// Runs a job's cleanup for one build, through the same runner as a
    /// build: its own process group, the job's env, workdir, `timeout` and
    /// `stop_grace`, that build's `JCRUN_*` variables and `JCRUN_RETVAL`,
    /// secrets masked. Its output goes to stderr, control characters shown.
    /// Returns nil when it succeeded, else why not (`exit 3`).
    ///
    /// - Throws: `CLIError.interrupted` on Ctrl-C, SIGTERM or SIGHUP (the
    ///   cleanup is stopped and its build kept).
    private static func runCleanup(
        of job: Job, build: BuildRecord, jobs: JobSet, store: BuildStore, context: Context
    ) throws -> String? {
        let builder = RunSpecBuilder(jobs: jobs, environment: context.environment)
        let spec: RunSpec
        do {
            guard let made = try builder.cleanupSpec(
                for: job, build: build, inputs: try store.inputs(of: build.id))
            else { return nil }
            spec = made
        } catch let error as SchedulerError {
            return error.description
        }
        let console = context.console
        let show: @Sendable (RunEvent) -> Void = { event in
            switch event {
            case .output(_, let text, _, let continued):
                console.error(VisibleText.escaped(text) + (continued ? "" : "\n"))
            case .outputLines(let lines):
                for case .output(_, let text, _, _) in lines.events() {
                    console.error(VisibleText.escaped(text) + "\n")
                }
            case .log(_, let message), .notice(_, let message):
                console.error("jcrun: warning: cleanup of build #\(build.id): \(message)\n")
            case .started, .progress, .retval, .skip:
                break
            }
        }
        // As for builds: the first signal stops the cleanup's group (SIGKILL
        // after its stop grace), a second kills it at once.
        let control = RunControl()
        let forwarder = try SignalForwarder { signal in
            control.interrupt(signal: signal, immediately: control.requestedSignal != nil)
        }
        let outcome = ProcessLauncher().run(spec, control: control, onEvent: show)
        forwarder.restore()
        switch outcome.termination {
        case .exited(0): return nil
        case .exited(let code): return "exit \(code)"
        case .signaled(_, let name): return "killed by \(name)"
        case .timedOut(let after): return "timed out after \(after)s"
        case .startFailed(_, let message): return "could not start: \(message)"
        case .interrupted(let signal):
            console.error("jcrun: cleanup of build #\(build.id) interrupted; the build is kept\n")
            throw CLIError.interrupted(signal)
        }
    }
}
