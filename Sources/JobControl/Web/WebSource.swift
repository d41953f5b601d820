import Foundation

/// Where the web page reads from: the project's jobs (reloaded when a file in
/// `jobs.d/` or `jcrun.yaml` changes) and the store (opened read-only once it
/// exists). Store calls are serialised by one lock, as `BuildStore` requires.
public final class WebSource: @unchecked Sendable {
    private let loadJobs: () throws -> JobSet
    private let openStore: () throws -> BuildStore?
    private let lock = NSLock()
    private var jobs: JobSet?
    private var fingerprint: [String] = []
    private var store: BuildStore?

    /// `openStore` returns nil while there is no store yet (every job `not built`).
    public init(
        loadJobs: @escaping () throws -> JobSet,
        openStore: @escaping () throws -> BuildStore?
    ) {
        self.loadJobs = loadJobs
        self.openStore = openStore
    }

    /// Runs `body` with the current jobs and the store, under the lock.
    ///
    /// - Throws: `ConfigErrors` when the job files no longer load, `StoreError`.
    public func read<T>(_ body: (JobSet, BuildStore?) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let jobs = try currentJobs()
        // TODO(#9): the store is opened read-only, so a build whose runner died
        // shows as running until a writing command reaps it.
        if store == nil { store = try openStore() }
        return try body(jobs, store)
    }

    /// The loaded jobs, reloaded when the files' names, sizes or times changed.
    private func currentJobs() throws -> JobSet {
        if let jobs {
            let now = Self.fingerprint(of: jobs)
            if now == fingerprint { return jobs }
        }
        let loaded = try loadJobs()
        jobs = loaded
        fingerprint = Self.fingerprint(of: loaded)
        return loaded
    }

    private static func fingerprint(of jobs: JobSet) -> [String] {
        let manager = FileManager.default
        var paths = [jobs.projectDir.appendingPathComponent("jcrun.yaml").path]
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
