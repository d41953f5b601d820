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
        if let job, let cleanup = job.cleanup {
            let status = try runCleanup(
                cleanup, of: job, build: record, jobs: jobs, store: store, context: context)
            if status != 0 && !context.invocation.has("force") {
                context.console.error(
                    "jcrun: error: cleanup of build #\(record.id) failed (exit \(status)); the build is kept (--force deletes it anyway)\n"
                )
                return false
            }
        }
        try store.deleteBuild(record.id)
        return true
    }

    /// `delete ID...`: every id is checked (it exists, it is finished, its
    /// job is defined or `--force` is given) before anything is deleted or
    /// any cleanup runs; an id named twice counts once. A refusal exits 2; a
    /// cleanup that fails keeps its build and exits 1.
    static func delete(_ context: Context) throws -> Int32 {
        var seen: Set<BuildID> = []
        var ids: [BuildID] = []
        for text in context.invocation.positionals {
            if BuildIDText.looksLikeBuildID(text) && BuildIDText.parse(text) == nil {
                throw CLIError.noSuchBuild("#" + text.drop { $0 == "#" })
            }
            guard let id = BuildIDText.parse(text) else {
                throw CLIError.usage("'\(text)' is not a build id (42 or #42)")
            }
            if seen.insert(id).inserted { ids.append(id) }
        }
        let force = context.invocation.has("force")
        let jobs =
            force
            ? try context.loadJobsOrStoreOnly(missing: "deleting builds without their cleanup")
            : try context.loadJobs()
        let store = try context.openExistingStoreForWriting(jobs)
        let records = try ids.map { id -> BuildRecord in
            guard let record = try store?.build(id) else { throw CLIError.noSuchBuild("#\(id)") }
            if record.status == .created || record.status == .running {
                throw CLIError.usage(
                    "build #\(id) is \(record.status.rawValue); only a finished build can be deleted"
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

    /// Asks on a terminal unless `--yes`; without one, refuses (exit 2).
    private static func confirm(_ context: Context, _ question: String) throws {
        guard !context.invocation.has("yes") else { return }
        guard context.console.canAsk else {
            throw CLIError.usage("\(question.dropLast()) needs confirmation; pass --yes")
        }
        let answer = context.console.ask(question + " [y/N] ")?.lowercased()
        guard answer == "y" || answer == "yes" else { throw CLIError.notConfirmed }
    }

    /// Runs a job's cleanup for one build: the job's env and workdir, that
    /// build's `JCRUN_*` variables and `JCRUN_RETVAL`, output to stderr.
    // TODO(#3): a cleanup has no timeout, so a hanging one holds `delete` or
    // `prune`; its output reaches jcrun's stderr with its control characters.
    private static func runCleanup(
        _ command: Command, of job: Job, build: BuildRecord, jobs: JobSet, store: BuildStore,
        context: Context
    ) throws -> Int32 {
        let inputs = try store.inputs(of: build.id)
        var retvals: [JobID: String] = [:]
        for input in inputs { if let value = input.retval { retvals[input.dependency] = value } }
        func resolve(_ value: ArgValue) throws -> String {
            switch value {
            case .text(let text): return text
            case .retval(let dep):
                guard let value = retvals[dep] else {
                    throw CLIError.failed("cleanup of build #\(build.id): \(dep) returned no value")
                }
                return value
            case .secret(let name):
                guard let value = jobs.settings.secrets[name] else {
                    throw CLIError.failed("secret '\(name)' is not defined in jcrun.yaml")
                }
                return value
            }
        }
        let project = jobs.projectDir.path
        var argv: [String]
        switch command {
        case .argv(let values): argv = try values.map(resolve)
        case .shell(let text): argv = ["/bin/sh", "-c", text, "jcrun-\(job.id)"]
        }
        if let program = argv.first, program.contains("/"), !program.hasPrefix("/") {
            argv[0] = project + "/" + program
        }

        var environment = context.environment.filter { !$0.key.hasPrefix("JCRUN") }
        for entry in job.env { environment[entry.name] = try resolve(entry.value) }
        environment["JCRUN"] = "1"
        environment["JCRUN_PROTOCOL"] = "1"
        environment["JCRUN_JOB_ID"] = job.id
        environment["JCRUN_BUILD_ID"] = String(build.id)
        environment["JCRUN_ATTEMPT"] = String(build.attempt)
        environment["JCRUN_PROJECT_DIR"] = project
        for (dep, value) in retvals { environment[RunSpec.retvalVariableName(for: dep)] = value }
        if let retval = build.retval { environment["JCRUN_RETVAL"] = retval }

        let process = Process()
        if argv[0].contains("/") {
            process.executableURL = URL(fileURLWithPath: argv[0])
            process.arguments = Array(argv.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = argv
        }
        process.environment = environment
        let workdir = job.workdir.hasPrefix("/") ? job.workdir : project + "/" + job.workdir
        process.currentDirectoryURL = URL(fileURLWithPath: workdir)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            context.console.error(
                "jcrun: error: cleanup of build #\(build.id) could not start: \(ErrorReport.reason(error))\n"
            )
            return 127
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
