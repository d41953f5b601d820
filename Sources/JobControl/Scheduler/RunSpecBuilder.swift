import Foundation

/// Turns a job into the `RunSpec` of one attempt: tags resolved, paths made
/// absolute, the environment in PROTOCOL.md's order.
public struct RunSpecBuilder: Sendable {
    /// The longest `NAME=value` string the kernel takes in an environment.
    static let environmentStringLimit = 131_071

    let jobs: JobSet
    /// jcrun's own environment, without `JCRUN_*` (set fresh for every build).
    let baseEnvironment: [String: String]
    let secretValues: [String]
    /// The project folder's path, and each workdir made absolute and standard.
    private let project: String
    private let workdirs = WorkdirCache()

    public init(jobs: JobSet, environment: [String: String]) {
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
        let value: (JobID) throws -> String = { dep in
            guard let build = consumed[dep] else { throw SchedulerError.noConsumedBuild(dependency: dep) }
            guard let retval = build.retval else { throw SchedulerError.noValue(dependency: dep) }
            return retval
        }
        var argv = try arguments(job.command, of: job, value: value)
        argv += try job.args.map { try resolve($0, value: value) }
        var environment = try environment(of: job, build: build, attempt: attempt, value: value)
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

    /// The spec of `job`'s `cleanup` for `build` (nil when it has none): in
    /// the job's environment and workdir, under its `timeout` and
    /// `stop_grace`, with that build's `JCRUN_*` variables, the values it
    /// consumed (`inputs`) and its own as `JCRUN_RETVAL`; no directives.
    ///
    /// - Throws: `SchedulerError.noValue`, `.unknownSecret`.
    public func cleanupSpec(for job: Job, build: BuildRecord, inputs: [BuildInput]) throws
        -> RunSpec?
    {
        guard let cleanup = job.cleanup else { return nil }
        var consumed: [JobID: String] = [:]
        for input in inputs { if let retval = input.retval { consumed[input.dependency] = retval } }
        let value: (JobID) throws -> String = { dep in
            guard let retval = consumed[dep] else { throw SchedulerError.noValue(dependency: dep) }
            return retval
        }
        let argv = try arguments(cleanup, of: job, value: value)
        var environment = try environment(
            of: job, build: build.id, attempt: build.attempt, value: value)
        for (dep, retval) in consumed where retval.utf8.count < Self.environmentStringLimit {
            environment[RunSpec.retvalVariableName(for: dep)] = retval
        }
        if let retval = build.retval { environment["JCRUN_RETVAL"] = retval }
        return RunSpec(
            argv: argv, environment: environment,
            workdir: workdirs.path(of: job.workdir, in: project), timeout: job.timeout,
            stopGrace: job.stopGrace, directives: .off, secrets: secretValues)
    }

    /// A command's argv, a relative program path made absolute in the project.
    private func arguments(
        _ command: Command, of job: Job, value: (JobID) throws -> String
    ) throws -> [String] {
        var argv: [String]
        switch command {
        case .argv(let values): argv = try values.map { try resolve($0, value: value) }
        case .shell(let text): argv = ["/bin/sh", "-c", text, "jcrun-\(job.id)"]
        }
        if let program = argv.first, program.utf8.contains(UInt8(ascii: "/")), !program.hasPrefix("/") {
            argv[0] = project + "/" + program
        }
        return argv
    }

    /// jcrun's environment, the job's, then `JCRUN_*` (PROTOCOL.md's order).
    /// Descriptor 3 is open whatever the job's `directives` (under `off`
    /// what is written there is only logged), so its variable is always set.
    private func environment(
        of job: Job, build: BuildID, attempt: Int, value: (JobID) throws -> String
    ) throws -> [String: String] {
        var environment = baseEnvironment
        for entry in job.env {
            let text = try resolve(entry.value, value: value)
            let bytes = entry.name.utf8.count + 1 + text.utf8.count
            if bytes > Self.environmentStringLimit {
                throw SchedulerError.environmentEntryTooLong(name: entry.name, bytes: bytes)
            }
            environment[entry.name] = text
        }
        environment["JCRUN"] = "1"
        environment["JCRUN_PROTOCOL"] = "1"
        environment["JCRUN_JOB_ID"] = job.id
        environment["JCRUN_BUILD_ID"] = String(build)
        environment["JCRUN_ATTEMPT"] = String(attempt)
        environment["JCRUN_PROJECT_DIR"] = project
        environment["JCRUN_DIRECTIVE_FD"] = "3"
        return environment
    }

    private func resolve(_ argument: ArgValue, value: (JobID) throws -> String) throws -> String {
        switch argument {
        case .text(let text): return text
        case .retval(let dep): return try value(dep)
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
