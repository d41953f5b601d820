/// Jobs in the job-set cache: every field of `Job`, in declaration order.
///
/// A new field of `Job` must be added here and `JobSetCache.formatVersion`
/// raised; the round-trip test compares whole jobs, so a field left out fails it.
/// Each job ends with its `definitionHash`, so a cached load never works it out.
extension CacheWriter {
    mutating func job(_ job: Job) {
        text(job.id)
        optional(job.title) { $0.text($1) }
        optional(job.notes) { $0.text($1) }
        command(job.command)
        list(job.args) { $0.argValue($1) }
        list(job.env) { writer, entry in
            writer.text(entry.name)
            writer.argValue(entry.value)
        }
        list(job.dependencies) { $0.text($1) }
        text(job.workdir)
        optional(job.timeout) { $0.int($1) }
        int(job.retries)
        int(job.retryDelay)
        int(job.stopGrace)
        optional(job.maxAge) { $0.int($1) }
        list(job.tags) { $0.text($1) }
        bool(job.protect)
        bool(job.earlyCutoff)
        text(job.directives.rawValue)
        optional(job.cleanup) { $0.command($1) }
        location(job.source)
        let sources = job.dependencySources.sorted { $0.key < $1.key }
        list(sources) { writer, pair in
            writer.text(pair.key)
            writer.location(pair.value)
        }
        text(job.definitionHash)
    }

    private mutating func command(_ command: Command) {
        switch command {
        case .argv(let argv):
            int(0)
            list(argv) { $0.argValue($1) }
        case .shell(let text):
            int(1)
            self.text(text)
        }
    }

    private mutating func argValue(_ value: ArgValue) {
        switch value {
        case .text(let text):
            int(0)
            self.text(text)
        case .retval(let job):
            int(1)
            text(job)
        case .secret(let name):
            int(2)
            text(name)
        }
    }

    private mutating func location(_ location: SourceLocation) {
        text(location.file)
        int(location.line)
        int(location.column)
        text(location.context)
    }
}

extension CacheReader {
    mutating func job() throws -> Job {
        let id = try text()
        let title = try optional { try $0.text() }
        let notes = try optional { try $0.text() }
        let command = try command()
        let args = try list { try $0.argValue() }
        let env = try list { reader in
            Job.EnvEntry(name: try reader.text(), value: try reader.argValue())
        }
        let dependencies = try list { try $0.text() }
        let workdir = try text()
        let timeout = try optional { try $0.int() }
        let retries = try int()
        let retryDelay = try int()
        let stopGrace = try int()
        let maxAge = try optional { try $0.int() }
        let tags = try list { try $0.text() }
        let protect = try bool()
        let earlyCutoff = try bool()
        guard let directives = DirectiveMode(rawValue: try text()) else { throw Corrupt() }
        let cleanup = try optional { try $0.command() }
        var job = Job(
            id: id, title: title, notes: notes, command: command, args: args, env: env,
            dependencies: dependencies, workdir: workdir, timeout: timeout, retries: retries,
            retryDelay: retryDelay, stopGrace: stopGrace, maxAge: maxAge, tags: tags,
            protect: protect, earlyCutoff: earlyCutoff, directives: directives, cleanup: cleanup,
            source: try location())
        let sources = try list { reader in (try reader.text(), try reader.location()) }
        if !sources.isEmpty {
            job.dependencySources = Dictionary(sources, uniquingKeysWith: { first, _ in first })
        }
        job.hashMemo.value = try text()
        return job
    }

    private mutating func command() throws -> Command {
        switch try int() {
        case 0: return .argv(try list { try $0.argValue() })
        case 1: return .shell(try text())
        default: throw Corrupt()
        }
    }

    private mutating func argValue() throws -> ArgValue {
        switch try int() {
        case 0: return .text(try text())
        case 1: return .retval(try text())
        case 2: return .secret(try text())
        default: throw Corrupt()
        }
    }

    private mutating func location() throws -> SourceLocation {
        SourceLocation(file: try text(), line: try int(), column: try int(), context: try text())
    }
}
