import Foundation

/// Turns a job into the `RunSpec` of one attempt: tags resolved, paths made
/// absolute, the environment in PROTOCOL.md's order.
struct RunSpecBuilder {
    /// The longest `NAME=value` string the kernel takes in an environment.
    static let environmentStringLimit = 131_071

    let jobs: JobSet
    /// jcrun's own environment, without `JCRUN_*` (set fresh for every build).
    let baseEnvironment: [String: String]
    let secretValues: [String]
    /// The project folder's path, and each workdir made absolute and standard.
    private let project: String
    private let workdirs = WorkdirCache()

    init(jobs: JobSet, environment: [String: String]) {
        self.jobs = jobs
        self.baseEnvironment = environment.filter { !$0.key.hasPrefix("JCRUN_") && $0.key != "JCRUN" }
        self.secretValues = jobs.settings.secrets.values.sorted()
        self.project = jobs.projectDir.path
    }

    /// The spec for one attempt, and warnings for the build's log.
    ///
    /// `consumed` holds the build of each dependency this attempt consumes.
    /// - Throws: `SchedulerError.noValue`, `.noConsumedBuild`, `.unknownSecret`.
    func spec(
        for job: Job, build: BuildID, attempt: Int, consumed: [JobID: BuildRecord],
        previousRetval: String?
    ) throws -> (spec: RunSpec, warnings: [String]) {
        // argv.
        var argv: [String]
        switch job.command {
        case .argv(let values): argv = try values.map { try resolve($0, consumed: consumed) }
        case .shell(let text): argv = ["/bin/sh", "-c", text, "jcrun-\(job.id)"]
        }
        argv += try job.args.map { try resolve($0, consumed: consumed) }
        if let program = argv.first, program.utf8.contains(UInt8(ascii: "/")), !program.hasPrefix("/") {
            argv[0] = project + "/" + program
        }

        // Environment: jcrun's, the job's, then JCRUN_*.
        var environment = baseEnvironment
        for entry in job.env { environment[entry.name] = try resolve(entry.value, consumed: consumed) }
        environment["JCRUN"] = "1"
        environment["JCRUN_PROTOCOL"] = "1"
        environment["JCRUN_JOB_ID"] = job.id
        environment["JCRUN_BUILD_ID"] = String(build)
        environment["JCRUN_ATTEMPT"] = String(attempt)
        environment["JCRUN_PROJECT_DIR"] = project
        if job.directives != .off { environment["JCRUN_DIRECTIVE_FD"] = "3" }
        var warnings: [String] = []
        for dep in job.dependencies {
            guard let value = consumed[dep]?.retval else { continue }
            let name = RunSpec.retvalVariableName(for: dep)
            if name.utf8.count + 1 + value.utf8.count > Self.environmentStringLimit {
                warnings.append(
                    "\(name) is left unset: the value of '\(dep)' is \(value.utf8.count) bytes, above the environment's limit")
                continue
            }
            environment[name] = value
        }
        if let previousRetval { environment["JCRUN_PREVIOUS_RETVAL"] = previousRetval }

        let spec = RunSpec(
            argv: argv, environment: environment, workdir: workdirs.path(of: job.workdir, in: project),
            timeout: job.timeout, stopGrace: job.stopGrace, directives: job.directives,
            secrets: secretValues)
        return (spec, warnings)
    }

    private func resolve(_ value: ArgValue, consumed: [JobID: BuildRecord]) throws -> String {
        switch value {
        case .text(let text): return text
        case .retval(let dep):
            guard let build = consumed[dep] else { throw SchedulerError.noConsumedBuild(dependency: dep) }
            guard let retval = build.retval else { throw SchedulerError.noValue(dependency: dep) }
            return retval
        case .secret(let name):
            guard let secret = jobs.settings.secrets[name] else { throw SchedulerError.unknownSecret(name) }
            return secret
        }
    }
}

/// Each job's workdir as the absolute, standardized path a build runs in,
/// worked out once per distinct text (most jobs share `.`): Foundation's
/// `URL.standardized` cost more than the rest of a build's spec, and a
/// `stat` of the folder.
private final class WorkdirCache: @unchecked Sendable {
    private let lock = NSLock()
    private var paths: [String: String] = [:]

    func path(of workdir: String, in project: String) -> String {
        if let known = lock.withLock({ paths[workdir] }) { return known }
        let absolute = workdir.hasPrefix("/") ? workdir : project + "/" + workdir
        let standard = URL(fileURLWithPath: absolute).standardized.path
        lock.withLock { paths[workdir] = standard }
        return standard
    }
}
