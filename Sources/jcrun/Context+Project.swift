import Foundation
import JobControl

/// Finding and loading the project, and opening its store.
extension Context {
    /// The project's jobs (`-C`, `--jobs-dir` applied), through the job-set
    /// cache in `.jcrun/cache/`; only a command that writes (`writing`) may
    /// create `.jcrun/` for it.
    ///
    /// - Throws: `ConfigErrors` (every definition error found), `ConfigError.noProject`.
    func loadJobs(writing: Bool = false) throws -> JobSet {
        let (projectDir, jobsDir) = try findProject(
            from: workingDirectory, jobsDir: invocation.value("jobs-dir").map(resolve))
        return try ProjectLoader.load(
            projectDir: projectDir, jobsDir: jobsDir, environment: environment,
            displayBase: workingDirectory,
            cacheFolder: projectDir.appendingPathComponent(".jcrun/cache", isDirectory: true),
            mayCreateCacheFolder: writing)
    }

    /// The project's jobs for a command that reads or deletes stored builds
    /// and can go on without the definitions (`builds`, `show-build`, `log`,
    /// `prune --logs-only`, `prune --force`, `delete --force`): when the job
    /// files do not load, one warning line on stderr names the first error
    /// and what is missing (`missing`), and the jobs are empty (the store
    /// still found through `jcrun.yaml`, `--storage`, `JCRUN_STORAGE`).
    /// `definitionsBroken` then tells the command so.
    ///
    /// - Throws: `ConfigError.noProject`; `ConfigErrors` when `jcrun.yaml`
    ///   itself does not load and the storage is not given another way.
    func loadJobsOrStoreOnly(missing: String) throws -> JobSet {
        let (projectDir, jobsDir) = try findProject(
            from: workingDirectory, jobsDir: invocation.value("jobs-dir").map(resolve))
        do {
            return try loadJobs()
        } catch let errors as ConfigErrors {
            let settings: Settings
            do {
                settings = try ProjectLoader.settings(
                    projectDir: projectDir, jobsDir: jobsDir, environment: environment,
                    displayBase: workingDirectory, ignoringSecrets: true)
            } catch {
                let given = invocation.value("storage") != nil
                    || !(environment["JCRUN_STORAGE"] ?? "").isEmpty
                guard given else { throw errors }
                settings = Settings()
            }
            let first = errors.errors.first?.message ?? "unknown error"
            console.error(
                "jcrun: warning: the job definitions do not load; \(missing); first error: "
                    + VisibleText.escapedMessage(first).trimmingCharacters(in: .newlines) + "\n")
            definitionsBroken = true
            return JobSet(projectDir: projectDir, jobsDir: jobsDir, settings: settings, jobs: [])
        }
    }

    /// A job id given to a command that reads stored builds: the defined
    /// job's id, or (when the definitions do not load) the id as given.
    func storedJobID(_ id: String, in jobs: JobSet) throws -> JobID {
        if definitionsBroken {
            if BuildIDText.looksLikeBuildID(id) { throw CLIError.buildIDAsJob(id, building: false) }
            return id.precomposedStringWithCanonicalMapping
        }
        return try job(id, in: jobs).id
    }

    /// Where the store is: `--storage`, `JCRUN_STORAGE`, `jcrun.yaml`, the default.
    ///
    /// - Throws: `StoreError.unreachable` for a value that is no store, or
    ///   an SQLite file whose folder is missing (only `.jcrun/` is made).
    func storeLocation(for jobs: JobSet) throws -> StoreLocation {
        let location = try StoreLocation.resolve(
            option: invocation.value("storage"), environment: environment,
            settings: jobs.settings.storage,
            projectDir: jobs.projectDir.path, currentDirectory: workingDirectory.path)
        try location.checkFolderExists(except: jobs.projectDir.path + "/.jcrun")
        return location
    }

    /// The store for a read-only command, or nil when there is none yet
    /// (every job is then `not built`). Never creates or migrates; but a
    /// build left `running` by a dead runner is reaped (through a write
    /// connection opened just for that) so that no command shows it running
    /// forever. When the store is not writable it stays as it is, with a
    /// warning on stderr.
    func openStoreForReading(_ jobs: JobSet) throws -> BuildStore? {
        let location = try storeLocation(for: jobs)
        let store: BuildStore
        do {
            store = keep(try location.open(mode: .readOnly))
        } catch StoreError.notInstalled {
            return nil
        }
        let dead = try store.deadRunnerBuilds()
        if !dead.isEmpty, (try? location.reapDeadRunners()) == nil {
            let builds = dead.map { "#\($0)" }.joined(separator: ", ")
            console.error(
                "jcrun: warning: the runner of running build \(builds) died; the store is not writable, so it still shows as running (runner died?)\n"
            )
        }
        return store
    }

    /// The store for a command that only changes what is there (`delete`,
    /// `prune`): nil when there is none, which such a command never creates.
    func openExistingStoreForWriting(_ jobs: JobSet) throws -> BuildStore? {
        do {
            let probe = try storeLocation(for: jobs).open(mode: .readOnly)
            (probe as? SQLiteStore)?.close()
        } catch StoreError.notInstalled {
            return nil
        }
        return try openStoreForWriting(jobs)
    }

    /// The store for a command that writes: created or migrated if needed,
    /// and builds left running by dead runners marked failed first. An
    /// SQLite store's lock folder is checked before the file is created.
    func openStoreForWriting(_ jobs: JobSet) throws -> BuildStore {
        let location = try storeLocation(for: jobs)
        if case .sqlite(let path) = location { try Self.checkLockFolder(ofStore: path) }
        let store = keep(try location.open(mode: .write))
        _ = try store.reapDeadRunners()
        return store
    }

    /// Refuses, before the store file is made, a lock folder beside it that
    /// is a file (`.jcrun/locks`), and a store named `locks`: it would be
    /// its own lock folder, made as a database and then refused as that.
    ///
    /// - Throws: `StoreError.unreachable`.
    static func checkLockFolder(ofStore path: String) throws {
        let file = URL(fileURLWithPath: SQLiteStore.linkTarget(of: path)).resolvingSymlinksInPath()
        if file.lastPathComponent == "locks" {
            throw StoreError.unreachable(
                path: path,
                reason: "a state database cannot be named 'locks': jcrun keeps its job locks"
                    + " in a folder of that name beside it; give the file another name")
        }
        try Scheduler.checkLockDirectory(Scheduler.lockDirectory(besideDatabase: file))
    }

    /// The job with this id (NFC-normalised), or an error suggesting a near one.
    /// Digits (`5`, `#5`) are a build id, never a job id; `building` words that error for
    /// the build commands.
    func job(
        _ id: String, in jobs: JobSet, suggestCommands: Bool = false, building: Bool = false
    ) throws -> Job {
        let normalized = id.precomposedStringWithCanonicalMapping
        if let job = jobs[normalized] { return job }
        if BuildIDText.looksLikeBuildID(id) { throw CLIError.buildIDAsJob(id, building: building) }
        var candidates = jobs.jobs.map(\.id)
        if suggestCommands { candidates += CommandCatalog.commands.map(\.name) }
        throw CLIError.unknownJob(id, suggestion: Suggestion.closest(to: id, in: candidates))
    }

    /// A build named by id (`42`, `#42`) or by job (its latest build).
    func build(_ reference: String, jobs: JobSet, store: BuildStore?) throws -> BuildRecord {
        if BuildIDText.looksLikeBuildID(reference) {
            guard let id = BuildIDText.parse(reference), let store, let record = try store.build(id)
            else {
                throw CLIError.noSuchBuild("#" + reference.drop { $0 == "#" })
            }
            return record
        }
        let id: JobID
        do {
            id = try job(reference, in: jobs).id
        } catch CLIError.unknownJob(let text, let suggestion) {
            // A job removed from jobs.d: its builds are still in the store.
            let normalized = reference.precomposedStringWithCanonicalMapping
            if let store, let latest = try store.builds(BuildQuery(job: normalized, limit: 1)).first {
                return latest
            }
            throw CLIError.unknownJob(text, suggestion: suggestion)
        }
        guard let store, let latest = try store.builds(BuildQuery(job: id, limit: 1)).first else {
            throw CLIError.noSuchBuild("of '\(id)' yet")
        }
        return latest
    }
}
