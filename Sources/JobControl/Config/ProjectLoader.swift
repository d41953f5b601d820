import Foundation
import Jinja
import YAMLNodes

/// Reads a project's `jcrun.yaml` and `jobs.d/` into a validated, acyclic
/// `JobSet`, or reports every error it finds (the first 20, and a count).
///
/// Each job file is rendered as a template, parsed as YAML and decoded; an
/// error in one file does not stop the others from being checked. Every
/// location names the template position that wrote the offending text.
public struct ProjectLoader {
    /// Loads the project.
    ///
    /// - Parameters:
    ///   - environment: jcrun's own environment (`env` in templates, `!env`,
    ///     secrets read with `{env: NAME}`).
    ///   - displayBase: the folder paths in messages are relative to; the
    ///     current directory by default.
    ///   - cacheFolder: where `JobSetCache` keeps loaded jobs (the CLI passes
    ///     `.jcrun/cache` of the project folder); nil loads without a cache.
    ///   - mayCreateCacheFolder: false (read-only commands) to make the cache
    ///     folder only inside an existing parent (`.jcrun/` exists once a store does).
    /// - Throws: `ConfigErrors`.
    public static func load(
        projectDir: URL, jobsDir: URL, environment: [String: String],
        displayBase: URL? = nil, cacheFolder: URL? = nil, mayCreateCacheFolder: Bool = true
    ) throws -> JobSet {
        let base = (displayBase ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .absoluteURL.standardizedFileURL.path
        let projectDir = projectDir.absoluteURL.standardizedFileURL
        let jobsDir = jobsDir.absoluteURL.standardizedFileURL
        let cache = cacheFolder.map {
            JobSetCache(
                folder: $0, mayCreateFolder: mayCreateCacheFolder, projectDir: projectDir, jobsDir: jobsDir, base: base,
                environment: environment)
        }
        var loader = ProjectLoader(
            projectDir: projectDir, jobsDir: jobsDir, environment: environment, base: base,
            cache: cache, inputs: cache == nil ? nil : CacheInputs())
        let jobs = try loader.load()
        LastLoad.keep(jobs)
        return jobs
    }

    let projectDir: URL
    let jobsDir: URL
    let environment: [String: String]
    let base: String
    var cache: JobSetCache? = nil
    /// What the load read, for the cache entry; nil without a cache.
    var inputs: CacheInputs? = nil
    let collector = ErrorCollector()
    /// Template names to display paths, worked out once per name (each job
    /// and dependency location names its macro's file).
    let displayNames = DisplayNames()

    private mutating func load() throws -> JobSet {
        // Settings first: job files need the vars, secret names and defaults.
        let (settings, defaults) = loadSettings()
        let fileNames = jobFileNames()

        // The cached jobs, when nothing they came from has changed.
        if collector.errors.isEmpty, let jobs = cache?.jobs(jobFileNames: fileNames) {
            return JobSet(
                projectDir: projectDir, jobsDir: jobsDir, settings: settings,
                jobs: withSecrets(jobs, settings))
        }

        // Then every job file, in name order.
        var environment = Jinja.Environment(
            loader: JobsDirLoader(jobsDir: jobsDir, inputs: inputs), globals: globals(settings.vars))
        environment.missingKeyNouns = Self.missingKeyNouns
        let decoder = JobDecoder(
            reader: FieldReader(locator: plainLocator(file: ""), collector: collector),
            secretNames: (settings.secrets.keys + collector.brokenSecrets).sorted(),
            environment: self.environment,
            inputs: inputs)
        // Files are rendered, parsed and decoded in parallel (each with its
        // own error list), then taken in name order, so the jobs and the
        // errors come out exactly as from one file after another.
        let perFile = PerFileResults(count: fileNames.count)
        let shared = FileLoad(
            loader: self, environment: environment, decoder: decoder, defaults: defaults,
            brokenSecrets: collector.brokenSecrets)
        DispatchQueue.concurrentPerform(iterations: fileNames.count) { index in
            let fileCollector = ErrorCollector()
            fileCollector.brokenSecrets = shared.brokenSecrets
            let jobs = shared.loader.loadJobs(
                file: fileNames[index], environment: shared.environment, decoder: shared.decoder,
                defaults: shared.defaults, collector: fileCollector)
            perFile.set(index, jobs: jobs, collector: fileCollector)
        }
        // Each error with the file it belongs to (0: jcrun.yaml, then the
        // job files), to be shown in file, line and column order.
        var ranked = ErrorOrder(
            fileNames: fileNames.map { display(jobsDir.appendingPathComponent($0).path) })
        ranked.add(collector.errors, rank: 0)
        collector.errors = ConfigErrors()
        var jobs: [Job] = []
        var firstPlace: [JobID: SourceLocation] = [:]
        for (index, (fileJobs, fileCollector)) in perFile.results.enumerated() {
            ranked.add(fileCollector.errors, rank: index + 1)
            collector.brokenJobs.formUnion(fileCollector.brokenJobs)
            for job in fileJobs {
                if let first = firstPlace[job.id] {
                    collector.add(.duplicateID(job.id, at: job.source, first: first))
                    continue
                }
                firstPlace[job.id] = job.source
                jobs.append(job)
            }
        }

        // Last, what needs every job: dependencies that exist, no cycles.
        checkDependencies(of: jobs)
        // The graph leaves out dependencies that do not exist, so a cycle among
        // the jobs that did load is reported with the other errors.
        for cycle in JobGraph(jobs: jobs).cycleErrors(limit: 20) { collector.add(cycle) }
        // These come in the file of the place they name, among its others.
        ranked.add(collector.errors, rank: nil)
        guard ranked.isEmpty else { throw ranked.ordered() }
        if let cache, let inputs {
            cache.save(
                jobs, inputs: inputs.all, jobFileNames: fileNames,
                environmentRead: inputs.environmentRead,
                secretValues: Array(settings.secrets.values))
        }
        return JobSet(
            projectDir: projectDir, jobsDir: jobsDir, settings: settings,
            jobs: withSecrets(jobs, settings))
    }

    /// The jobs, each told the secret values its snapshot must mask. Its
    /// title, notes and tags, which only ever are shown, are masked here
    /// once, so that no list, page or JSON can show a secret through them.
    private func withSecrets(_ jobs: [Job], _ settings: Settings) -> [Job] {
        guard !settings.secrets.isEmpty else { return jobs }
        let values = settings.secrets.keys.sorted().map { settings.secrets[$0]! }
        let masker = SecretMasker(values)
        return jobs.map { job in
            var job = job
            job.title = job.title.map(masker.mask)
            job.notes = job.notes.map(masker.mask)
            job.tags = job.tags.map(masker.mask)
            job.secretValues = values
            return job
        }
    }

    /// `{{ env.NOPE }}` reads "environment variable 'NOPE' is not set".
    static let missingKeyNouns = ["env": "environment variable"]

    func globals(_ vars: OrderedDict) -> OrderedDict {
        var globals = vars
        var env = OrderedDict()
        for name in environment.keys.sorted() { env[name] = .string(environment[name]!) }
        globals["env"] = .dict(env)
        return globals
    }

    /// `jobs.d/*.yaml` and `*.yml`, by name, without `_` files.
    private func jobFileNames() -> [String] {
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: jobsDir.path)
            return names.filter { name in
                !name.hasPrefix("_") && !name.hasPrefix(".")
                    && (name.hasSuffix(".yaml") || name.hasSuffix(".yml"))
            }.sorted()
        } catch {
            var isFolder: ObjCBool = false
            if !FileManager.default.fileExists(atPath: jobsDir.path, isDirectory: &isFolder) {
                collector.add(.noJobsFolder(path: display(jobsDir.path)))
            } else if !isFolder.boolValue {
                collector.add(.jobsFolderNotAFolder(path: display(jobsDir.path)))
            } else {
                collector.add(.unreadable(path: display(jobsDir.path), reason: reason(error)))
            }
            return []
        }
    }

    /// The settings file's names: `jcrun.yml` is read as job files' `.yml` are.
    static let settingsFileNames = ["jcrun.yaml", "jcrun.yml"]

    func loadSettings() -> (Settings, JobFields) {
        // Each name jcrun looks for is an input of the cache, present or not.
        var present: [URL] = []
        for name in Self.settingsFileNames {
            let url = projectDir.appendingPathComponent(name)
            var info = stat()
            if lstat(url.path, &info) == 0 {
                present.append(url)
            } else {
                inputs?.record(
                    CacheInputs.Input(path: url.path, stamp: nil, hash: ContentHash(nil as Data?)))
            }
        }
        guard let url = present.first else { return (Settings(), JobFields()) }
        if present.count > 1 {
            collector.add(.twoSettingsFiles(display(present[0].path), display(present[1].path)))
            return (Settings(), JobFields())
        }
        if let found = notARegularFile(url.path) {
            collector.add(.notASettingsFile(path: display(url.path), found: found))
            return (Settings(), JobFields())
        }
        let locator = plainLocator(file: display(url.path))
        let reader = FieldReader(
            locator: locator, collector: collector, settingsFile: url.lastPathComponent)
        let settingsDecoder = SettingsDecoder(
            reader: reader, projectDir: projectDir, environment: environment, inputs: inputs,
            fileName: url.lastPathComponent)
        do {
            let stamp = FileStamp.of(url.path)
            let data = try Data(contentsOf: url)
            inputs?.record(CacheInputs.Input(path: url.path, stamp: stamp, hash: ContentHash(data)))
            inputs?.scanForEnvironmentUse(data)
            let text = try decodeUTF8(data)
            let documents = try parseYAML(text)
            if documents.count > 1 {
                collector.add(
                    .severalDocuments(
                        file: url.lastPathComponent, at: locator.location(documents[1].mark)))
            }
            return settingsDecoder.decode(documents.first)
        } catch let error as YAMLError {
            collector.add(configError(error, locator: locator))
        } catch {
            collector.add(.unreadable(path: display(url.path), reason: reason(error)))
        }
        return (Settings(), JobFields())
    }

    /// True when the file at `path` holds nothing but white space (read
    /// again only for a file that rendered to no YAML document).
    static func isBlank(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return true }
        return data.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    /// What `path` is when it is not a regular file (after symbolic links):
    /// read, a folder or a FIFO would fail or block. Nil for a regular file.
    private func notARegularFile(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT || errno == ELOOP
                ? "a symbolic link to nothing, or in a loop" : nil
        }
        return JobsDirLoader.kind(ofMode: info.st_mode)
    }

    /// Renders, parses and decodes one job file; errors go to `collector`.
    private func loadJobs(
        file name: String, environment: Jinja.Environment, decoder: JobDecoder,
        defaults: JobFields, collector: ErrorCollector
    ) -> [Job] {
        let path = display(jobsDir.appendingPathComponent(name).path)
        let fileStart = SourceLocation(file: path, line: 1, column: 1)
        let rendered: Rendered
        do {
            rendered = try environment.render(templateNamed: name)
        } catch let error as TemplateError {
            if error.frames.isEmpty,
                error.message == "template '\(name)' not found"
                    || error.message.hasPrefix("cannot read template '\(name)': it is ")
            {
                // Listed in jobs.d/ but not readable as a file.
                collector.add(unreadableJobFile(jobsDir.appendingPathComponent(name), path: path))
                return []
            }
            let at = templateLocator(nil, file: path, templateName: name).location(of: error)
            collector.add(.template(message: error.message, suggestion: error.suggestion, at: at))
            return []
        } catch {
            collector.add(.unreadable(path: path, reason: reason(error)))
            return []
        }
        let locator = templateLocator(rendered, file: path, templateName: name)
        let documents: [Node]
        do {
            documents = try parseYAML(rendered.text)
        } catch let error as YAMLError {
            collector.add(configError(error, locator: locator))
            return []
        } catch {
            collector.add(.internalError("unexpected YAML error \(error)"))
            return []
        }
        guard let root = documents.first else {
            // A file whose template writes nothing (`{% if false %}...`) or
            // that holds only comments defines no jobs, as `jobs:` alone
            // does; a file with nothing written in it at all is more likely
            // cut short by mistake, and is an error.
            if Self.isBlank(jobsDir.appendingPathComponent(name).path) {
                collector.add(.emptyFile(at: fileStart))
            }
            return []
        }
        if documents.count > 1 {
            collector.add(
                .severalDocuments(file: "a job file", at: locator.location(documents[1].mark)))
        }
        let reader = FieldReader(locator: locator, collector: collector)
        let fileDecoder = JobDecoder(
            reader: reader, secretNames: decoder.secretNames, environment: decoder.environment,
            inputs: inputs)
        return decodeJobs(
            root, reader: reader, decoder: fileDecoder, defaults: defaults, collector: collector)
    }

    private func decodeJobs(
        _ root: Node, reader: FieldReader, decoder: JobDecoder, defaults: JobFields,
        collector: ErrorCollector
    ) -> [Job] {
        guard case .mapping = root.kind, let pairs = reader.mapping(root, field: "jobs") else {
            collector.add(.noJobsList(at: reader.at(root)))
            return []
        }
        // `x-` keys hold YAML anchors for the jobs to share, as in docker
        // compose; jcrun reads nothing else from them.
        reader.checkKeys(
            pairs.filter { !$0.key.hasPrefix("x-") }, known: ["jobs"], place: "a job file")
        guard let list = pairs.first(where: { $0.key == "jobs" })?.value else {
            // `jbos:` was already reported with "did you mean 'jobs'?"; say it once.
            if !pairs.contains(where: { closestMatch(to: $0.key, among: ["jobs"]) != nil }) {
                collector.add(.noJobsList(at: reader.at(root)))
            }
            return []
        }
        if isNull(list) { return [] }
        guard case .sequence(let items) = list.kind else {
            let found = reader.describe(list)
            collector.add(
                .wrongType(
                    field: "jobs", expected: "a list of jobs", found: found, at: reader.at(list)))
            return []
        }
        guard reader.collectionTagFits(list) else { return [] }
        let assembler = JobAssembler(
            defaults: defaults, collector: collector, projectDir: projectDir.path)
        var jobs: [Job] = []
        for item in items {
            guard let fields = decoder.fields(of: item, known: JobFields.jobKeys, place: "a job")
            else { continue }
            let place = fields.id.map { "job '\($0)'" } ?? "this job"
            if fields.id == nil, !fields.failedKeys.contains("id") {
                collector.add(.missingKey("id", in: place, at: reader.at(item)))
            }
            if fields.command == nil, !fields.failedKeys.contains("command") {
                collector.add(.missingKey("command", in: place, at: reader.at(item)))
            }
            // A job written through an alias (`- *x`) or taking its id from a
            // merge (`<<: *x`) is placed where the alias is, not at the
            // anchor's id: two jobs from one anchor get two places.
            var idNode = item.mappingValue(for: "id") ?? item
            if (idNode.mark.line, idNode.mark.column) < (item.mark.line, item.mark.column) {
                idNode = item
            }
            if let job = assembler.job(from: fields, at: reader.deferredAt(idNode)) {
                jobs.append(job)
            } else if let id = fields.id {
                collector.brokenJobs.insert(id)
            }
        }
        return jobs
    }

    private func checkDependencies(of jobs: [Job]) {
        let ids = jobs.map(\.id)
        let known = Set(ids)
        for job in jobs {
            for dependency in job.dependencies
            where !known.contains(dependency) && !collector.brokenJobs.contains(dependency) {
                collector.add(
                    .missingDependency(
                        job: job.id, dependency: dependency,
                        suggestion: closestMatch(to: dependency, among: ids),
                        at: job.dependencySources[dependency] ?? job.source))
            }
        }
    }

    private func configError(_ error: YAMLError, locator: SourceLocator) -> ConfigError {
        switch error {
        case .syntax(let message, let context, let at, let contextMark):
            return .yamlSyntax(
                message: message, context: context, at: locator.location(at),
                contextAt: contextMark.map(locator.location))
        case .duplicateKey(let key, let at, let first):
            return .duplicateKey(key, at: locator.location(at), first: locator.location(first))
        case .unknownAnchor(let name, let at):
            return .unknownAnchor(name, at: locator.location(at))
        case .tooManyNodes(let limit, let at):
            return .tooManyNodes(limit: limit, at: locator.location(at))
        case .badMerge(let at):
            return .badMerge(at: locator.location(at))
        case .invalidText(let message, let at):
            return .invalidText(message, at: locator.location(at))
        }
    }

    func display(_ path: String) -> String { displayPath(path, relativeTo: base) }

    private func plainLocator(file: String) -> SourceLocator {
        SourceLocator(rendered: nil, file: file, displayName: { $0 })
    }

    func templateLocator(
        _ rendered: (any RenderedText)?, file: String, templateName: String
    ) -> SourceLocator {
        let jobsPath = jobsDir.path
        let base = base
        let names = displayNames
        return SourceLocator(rendered: rendered, file: file, templateName: templateName) { name in
            names.display(name, orCompute: {
                displayPath(name.hasPrefix("/") ? name : jobsPath + "/" + name, relativeTo: base)
            })
        }
    }

    func reason(_ error: Error) -> String { fileErrorReason(error) }

    /// Why a name listed in `jobs.d/` could not be read: a folder, a
    /// symbolic link to nothing or in a loop, or a file jcrun may not read.
    private func unreadableJobFile(_ url: URL, path: String) -> ConfigError {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) {
            if isFolder.boolValue { return .notAJobFile(path: path, reason: "is a directory") }
            // `is a named pipe (FIFO)`, `is a device` (a link to /dev/zero).
            var info = stat()
            if stat(url.path, &info) == 0, let kind = JobsDirLoader.kind(ofMode: info.st_mode) {
                return .notAJobFile(path: path, reason: "is \(kind)")
            }
            return .unreadable(path: path, reason: "permission denied")
        }
        let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) != nil
        let reason = isLink ? "a symbolic link to nothing, or in a loop" : "no such file"
        return .unreadable(path: path, reason: reason)
    }
}

extension Node {
    /// The value under a text key of a mapping.
    func mappingValue(for key: String) -> Node? {
        guard case .mapping(let pairs) = kind else { return nil }
        return pairs.first { pair in
            if case .scalar(key, _) = pair.key.kind { return true }
            return false
        }?.value
    }
}

/// What every job file's load reads. Unchecked: nothing in it is written
/// while files load, and what loading writes is behind locks (the template
/// cache, the display names, the cache inputs, deferred locations).
private struct FileLoad: @unchecked Sendable {
    let loader: ProjectLoader
    let environment: Jinja.Environment
    let decoder: JobDecoder
    let defaults: JobFields
    let brokenSecrets: [String]
}

/// What each job file of a load gave, filled from several threads.
private final class PerFileResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [([Job], ErrorCollector)]

    init(count: Int) { slots = Array(repeating: ([], ErrorCollector()), count: count) }

    func set(_ index: Int, jobs: [Job], collector: ErrorCollector) {
        lock.withLock { slots[index] = (jobs, collector) }
    }

    var results: [([Job], ErrorCollector)] { lock.withLock { slots } }
}

/// A memo of template name to display path for one load: splitting and
/// joining paths for every location cost 10% of loading 10,000 jobs.
///
/// `@unchecked Sendable`: `paths` is only touched under `lock` (a job's
/// deferred location may be worked out on any thread, after the load).
final class DisplayNames: @unchecked Sendable {
    private let lock = NSLock()
    private var paths: [String: String] = [:]

    func display(_ name: String, orCompute compute: () -> String) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = paths[name] { return path }
        let path = compute()
        paths[name] = path
        return path
    }
}

/// The last job set loaded, kept until the next load or the process ends.
///
/// A command's job set would be freed just before the process exits, job by
/// job: for 10,000 jobs that was about 4% of `list`. The job set a command
/// loaded is usually the last one, so the exit takes it down instead.
///
/// `@unchecked Sendable`: `jobs` is only touched under `lock`.
private final class LastLoad: @unchecked Sendable {
    private static let shared = LastLoad()
    private let lock = NSLock()
    private var jobs: JobSet?

    static func keep(_ jobs: JobSet) {
        shared.lock.lock()
        let previous = shared.jobs
        shared.jobs = jobs
        shared.lock.unlock()
        _ = previous  // freed here, outside the lock
    }
}
