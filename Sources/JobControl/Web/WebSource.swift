import Foundation

/// Where the web page reads from: the project's jobs (reloaded when a file in
/// `jobs.d/` or `jcrun.yaml` changes) and the store (opened read-only once it
/// exists). Store calls are serialised by one lock, as `BuildStore` requires.
///
/// Builds left `running` by a runner that died are reaped as the CLI's read
/// commands do (through `reapDeadRunners`, a writer opened just for that),
/// checked at most once per `reapInterval`. Every job's status (the store's
/// job states and the planner's outdated reasons) is kept until the store or
/// the jobs change, or a `max_age` runs out (`WebStatusCache`).
public final class WebSource: @unchecked Sendable {
    private let loadJobs: () throws -> JobSet
    private let openStore: () throws -> BuildStore?
    private let reapDeadRunners: (() throws -> [BuildID])?
    private let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var jobs: JobSet?
    /// Bumped whenever `jobs` is reloaded.
    private var jobsGeneration = 0
    private var fingerprint: [String] = []
    private var store: BuildStore?
    private var statusCache = WebStatusCache()
    private var lastReapCheck = ContinuousClock.now
    private var reapChecked = false
    /// Dead-runner builds already reported as not reapable (a read-only store).
    private var unreapable: Set<BuildID> = []

    /// How often requests look for builds of dead runners.
    var reapInterval: Swift.Duration = .seconds(2)

    /// `openStore` returns nil while there is no store yet (every job `not
    /// built`). `reapDeadRunners` reaps through a write connection of its own
    /// (`StoreLocation.reapDeadRunners`); nil leaves dead runners' builds as
    /// they are. `log` gets a warning when they cannot be reaped.
    public init(
        loadJobs: @escaping () throws -> JobSet,
        openStore: @escaping () throws -> BuildStore?,
        reapDeadRunners: (() throws -> [BuildID])? = nil,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.loadJobs = loadJobs
        self.openStore = openStore
        self.reapDeadRunners = reapDeadRunners
        self.log = log
    }

    /// Runs `body` with the current jobs and the store, under the lock.
    ///
    /// - Throws: `ConfigErrors` when the job files no longer load, `StoreError`.
    public func read<T>(_ body: (JobSet, BuildStore?) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let jobs = try currentJobs()
        return try body(jobs, try currentStore())
    }

    /// Runs `body` with the store only, under the lock: for the build pages
    /// and the live endpoints, which need no job definitions (the job files
    /// are not looked at).
    ///
    /// - Throws: `StoreError`.
    public func readStore<T>(_ body: (BuildStore?) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(try currentStore())
    }

    /// Runs `body` with the jobs, the store and every job's status at `now`,
    /// under the lock; the status is computed again only when the store or
    /// the jobs changed, or a `max_age` ran out since.
    ///
    /// - Throws: `ConfigErrors`, `StoreError`, `PlanError`.
    func readStatus<T>(now: Date, _ body: (JobSet, BuildStore?, WebJobStatus) throws -> T) throws
        -> T
    {
        lock.lock()
        defer { lock.unlock() }
        let jobs = try currentJobs()
        let store = try currentStore()
        let status = try statusCache.status(
            jobs: jobs, generation: jobsGeneration, store: store, now: now)
        return try body(jobs, store, status)
    }

    /// How often every job's status was computed (for tests).
    var statusComputations: Int { lock.withLock { statusCache.computed } }

    /// The store, opened once it exists, after reaping dead runners' builds
    /// when it is time to look again.
    private func currentStore() throws -> BuildStore? {
        if store == nil { store = try openStore() }
        guard let store, let reapDeadRunners else { return store }
        let now = ContinuousClock.now
        if reapChecked && now - lastReapCheck < reapInterval { return store }
        reapChecked = true
        lastReapCheck = now
        let dead = try store.deadRunnerBuilds()
        guard !dead.isEmpty else { return store }
        if (try? reapDeadRunners()) == nil, !unreapable.isSuperset(of: dead) {
            unreapable.formUnion(dead)
            let builds = dead.map { "#\($0)" }.joined(separator: ", ")
            log(
                "warning: the runner of running build \(builds) died; the store is not writable, so it still shows as running"
            )
        }
        return store
    }

    /// The loaded jobs, reloaded when the files' names, sizes or times changed.
    private func currentJobs() throws -> JobSet {
        if let jobs {
            let now = Self.fingerprint(of: jobs)
            if now == fingerprint { return jobs }
        }
        let loaded = try loadJobs()
        jobs = loaded
        jobsGeneration += 1
        fingerprint = Self.fingerprint(of: loaded)
        return loaded
    }

    private static func fingerprint(of jobs: JobSet) -> [String] {
        let manager = FileManager.default
        var paths = ProjectLoader.settingsFileNames.map {
            jobs.projectDir.appendingPathComponent($0).path
        }
        if let names = manager.enumerator(atPath: jobs.jobsDir.path) {
            for case let name as String in names { paths.append(jobs.jobsDir.path + "/" + name) }
        }
        return paths.map { path in
            var info = stat()
            guard stat(path, &info) == 0 else { return path + " -" }
            return "\(path) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        }
    }
}
