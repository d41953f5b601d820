import Foundation
import Jinja

/// Everything read from a project: settings and the validated jobs.
public struct JobSet: Sendable {
    /// The folder that holds `jobs.d/` (absolute, standardized).
    public var projectDir: URL
    public var jobsDir: URL
    public var settings: Settings
    /// In the order written: files by name, jobs in file order.
    public var jobs: [Job]
    private var index: [JobID: Int]

    public init(projectDir: URL, jobsDir: URL, settings: Settings, jobs: [Job]) {
        self.projectDir = projectDir
        self.jobsDir = jobsDir
        self.settings = settings
        self.jobs = jobs
        var index: [JobID: Int] = [:]
        index.reserveCapacity(jobs.count)
        for (position, job) in jobs.enumerated() where index[job.id] == nil {
            index[job.id] = position
        }
        self.index = index
    }

    public subscript(id: JobID) -> Job? {
        guard let position = index[id] else { return nil }
        return jobs[position]
    }
}

/// `jcrun.yaml`, validated.
public struct Settings: Sendable {
    /// As written in `jcrun.yaml`, resolved against the project folder; nil
    /// when not set (the CLI then applies `--storage`, `JCRUN_STORAGE`, the default).
    public var storage: String?
    public var vars: OrderedDict
    /// Secret name to value. Values are never stored or shown.
    public var secrets: [String: String]

    public init(storage: String? = nil, vars: OrderedDict = OrderedDict(), secrets: [String: String] = [:]) {
        self.storage = storage
        self.vars = vars
        self.secrets = secrets
    }
}
