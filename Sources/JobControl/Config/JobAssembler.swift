import Foundation

/// Builds a `Job` from its own fields and `defaults`, and runs the checks
/// that need the whole job: `!retval` only of dependencies, and no two
/// dependencies passing their value under one variable name.
struct JobAssembler {
    let defaults: JobFields
    let collector: ErrorCollector
    /// The absolute project folder, which a `workdir` may name.
    var projectDir: String?

    func job(from fields: JobFields, at source: SourceLocation) -> Job? {
        guard let id = fields.id, let command = fields.command else { return nil }
        let env = mergedEnv(fields)
        var job = Job(
            id: id, title: fields.title, notes: fields.notes, command: command,
            args: fields.args ?? [], env: env.entries, dependencies: fields.dependencies ?? [],
            workdir: Self.normalized(
                workdir: fields.workdir ?? defaults.workdir ?? ".", projectDir: projectDir),
            timeout: fields.timeout ?? defaults.timeout,
            retries: fields.retries ?? defaults.retries ?? 0,
            retryDelay: fields.retryDelay ?? defaults.retryDelay ?? 0,
            stopGrace: fields.stopGrace ?? defaults.stopGrace ?? 10,
            maxAge: fields.maxAge ?? defaults.maxAge, tags: fields.tags ?? defaults.tags ?? [],
            protect: fields.protect ?? false, earlyCutoff: fields.earlyCutoff ?? false,
            directives: fields.directives ?? defaults.directives ?? .stdout,
            cleanup: fields.cleanup,
            source: source)
        job.dependencySources = fields.dependencySources
        checkRetvals(env.retvalUses + fields.retvalUses.filter { $0.envName == nil }, of: job)
        checkRetvalNames(of: job)
        return job
    }

    /// `workdir` written without what does not change the folder (`./`,
    /// `a//b/`, `a/./b`, the project folder itself), so that rewriting
    /// `.` as `./` is not a definition change that rebuilds the job.
    static func normalized(workdir: String, projectDir: String?) -> String {
        let absolute = workdir.hasPrefix("/")
        let parts = workdir.split(separator: "/").filter { $0 != "." }
        var path = (absolute ? "/" : "") + parts.joined(separator: "/")
        if path.isEmpty { path = "." }
        if absolute, let projectDir, path == projectDir { return "." }
        return path
    }

    /// `defaults.env` entries the job does not set, then the job's own.
    private func mergedEnv(_ fields: JobFields) -> (
        entries: [Job.EnvEntry], retvalUses: [JobFields.RetvalUse]
    ) {
        let own = fields.env ?? []
        let ownNames = Set(own.map(\.name))
        let inherited = (defaults.env ?? []).filter { !ownNames.contains($0.name) }
        let uses =
            defaults.retvalUses.filter { $0.envName.map { !ownNames.contains($0) } ?? false }
            + fields.retvalUses.filter { $0.envName != nil }
        return (inherited + own, uses)
    }

    private func checkRetvals(_ uses: [JobFields.RetvalUse], of job: Job) {
        let dependencies = Set(job.dependencies)
        for use in uses where !dependencies.contains(use.job) {
            collector.add(.retvalOfNonDependency(job: job.id, retval: use.job, at: use.at))
        }
    }

    private func checkRetvalNames(of job: Job) {
        if job.dependencies.count < 2 { return }
        var seen: [String: JobID] = [:]
        for dependency in job.dependencies {
            let variable = RunSpec.retvalVariableName(for: dependency)
            guard let first = seen[variable] else {
                seen[variable] = dependency
                continue
            }
            let unknown = job.source
            collector.add(
                .retvalNameClash(
                    variable: variable, first: first, second: dependency,
                    at: job.dependencySources[dependency] ?? unknown,
                    firstAt: job.dependencySources[first] ?? unknown))
        }
    }
}
