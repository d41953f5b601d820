import Foundation

/// A job's id: Unicode text normalised to NFC (docs/JOBS.md, "Ids").
public typealias JobID = String

/// A build's id: positive, increasing in creation order, shown as `#42`.
public typealias BuildID = Int64

/// A length of time in whole seconds, as job files write durations.
public typealias Seconds = Int

/// One value in a job's argv, `args` or `env`: text as written, or a tag that
/// is resolved only when a build starts.
public enum ArgValue: Sendable, Hashable {
    /// Literal text (also what `!env NAME` became when definitions loaded).
    case text(String)
    /// `!retval JOB`: the return value of JOB's consumed build.
    case retval(JobID)
    /// `!secret NAME`: a value from `jcrun.yaml`'s `secrets`, never stored.
    case secret(String)
}

/// What a job runs.
public enum Command: Sendable, Hashable {
    /// `command: [prog, arg, ...]`: run directly, no shell.
    case argv([ArgValue])
    /// `command: "text"`: run as `/bin/sh -c TEXT jcrun-JOB ARG...`.
    case shell(String)
}

/// Where a job's directives are read from (docs/PROTOCOL.md).
public enum DirectiveMode: String, Sendable, Hashable, CaseIterable {
    case stdout, fd, off
}

/// A validated job, every default applied; what the planner and runner use.
public struct Job: Sendable, Hashable {
    public var id: JobID
    public var title: String?
    public var notes: String?
    public var command: Command { didSet { hashMemo.value = nil } }
    public var args: [ArgValue] { didSet { hashMemo.value = nil } }
    /// In the order written: `defaults.env` first, then the job's own keys.
    public var env: [EnvEntry] { didSet { hashMemo.value = nil } }
    /// Sorted, without duplicates.
    public var dependencies: [JobID] { didSet { hashMemo.value = nil } }
    /// Relative to the project folder, as written (`.` by default).
    public var workdir: String { didSet { hashMemo.value = nil } }
    public var timeout: Seconds?
    public var retries: Int
    public var retryDelay: Seconds
    public var stopGrace: Seconds
    public var maxAge: Seconds?
    public var tags: [String]
    public var protect: Bool
    public var earlyCutoff: Bool
    public var directives: DirectiveMode
    public var cleanup: Command?
    /// Where `- id:` was written (the template position, for templated text).
    public var source: SourceLocation
    /// Where each dependency is named in `dependencies` (for cycle messages);
    /// empty for jobs not read from files.
    public var dependencySources: [JobID: SourceLocation] = [:]
    /// The project's secret values (`Settings.secrets`), set by the loader so
    /// `snapshotJSON()` can mask them where a template or `!env` copied one
    /// into the job's text; empty for jobs not read from files.
    public var secretValues: [String] = []
    /// `definitionHash`, when worked out ahead (the job-set cache stores
    /// it); cleared when a hashed field changes.
    var hashMemo = DefinitionHashMemo()

    public struct EnvEntry: Sendable, Hashable {
        public var name: String
        public var value: ArgValue

        public init(name: String, value: ArgValue) {
            self.name = name
            self.value = value
        }
    }

    public init(
        id: JobID, title: String? = nil, notes: String? = nil, command: Command,
        args: [ArgValue] = [], env: [EnvEntry] = [], dependencies: [JobID] = [],
        workdir: String = ".", timeout: Seconds? = nil, retries: Int = 0,
        retryDelay: Seconds = 0, stopGrace: Seconds = 10, maxAge: Seconds? = nil,
        tags: [String] = [], protect: Bool = false, earlyCutoff: Bool = false,
        directives: DirectiveMode = .stdout, cleanup: Command? = nil,
        source: SourceLocation = SourceLocation(file: "<none>", line: 0, column: 0)
    ) {
        self.id = id
        self.title = title
        self.notes = notes
        self.command = command
        self.args = args
        self.env = env
        self.dependencies = dependencies
        self.workdir = workdir
        self.timeout = timeout
        self.retries = retries
        self.retryDelay = retryDelay
        self.stopGrace = stopGrace
        self.maxAge = maxAge
        self.tags = tags
        self.protect = protect
        self.earlyCutoff = earlyCutoff
        self.directives = directives
        self.cleanup = cleanup
        self.source = source
    }
}

/// A place in a job file, for messages: `jobs.d/crawl.yaml:14:7`, plus the
/// macro/include chain that wrote it when the text came from a template.
///
/// The loader's locations are worked out when first read: each job keeps
/// where it and its dependencies are written, but only an error shows one
/// (10,000 templated jobs: about 8% of loading them).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String {
        get { fields.file }
        set { storage = .known(Fields(newValue, line, column, context)) }
    }
    public var line: Int {
        get { fields.line }
        set { storage = .known(Fields(file, newValue, column, context)) }
    }
    public var column: Int {
        get { fields.column }
        set { storage = .known(Fields(file, line, newValue, context)) }
    }
    /// `(in macro 'site' from jobs.d/_macros.j2:4:5)`, or empty.
    public var context: String {
        get { fields.context }
        set { storage = .known(Fields(file, line, column, newValue)) }
    }

    private var storage: Storage

    public init(file: String, line: Int, column: Int, context: String = "") {
        storage = .known(Fields(file, line, column, context))
    }

    /// A location `resolve` works out the first time it is read (once,
    /// whichever thread reads it).
    init(deferred resolve: @escaping @Sendable () -> SourceLocation) {
        storage = .deferred(DeferredLocation(resolve))
    }

    public var description: String {
        let place = line > 0 ? "\(file):\(line):\(column)" : file
        return context.isEmpty ? place : "\(place) \(context)"
    }

    public static func == (a: SourceLocation, b: SourceLocation) -> Bool { a.fields == b.fields }

    public func hash(into hasher: inout Hasher) { hasher.combine(fields) }

    fileprivate var fields: Fields {
        switch storage {
        case .known(let fields): return fields
        case .deferred(let deferred): return deferred.fields
        }
    }

    fileprivate struct Fields: Sendable, Hashable {
        var file: String
        var line: Int
        var column: Int
        var context: String

        init(_ file: String, _ line: Int, _ column: Int, _ context: String) {
            self.file = file
            self.line = line
            self.column = column
            self.context = context
        }
    }

    private enum Storage: Sendable {
        case known(Fields)
        case deferred(DeferredLocation)
    }

    /// The resolver and, once it ran, its answer.
    ///
    /// `@unchecked Sendable`: both are read and written under `lock`.
    private final class DeferredLocation: @unchecked Sendable {
        private let lock = NSLock()
        private var resolve: (@Sendable () -> SourceLocation)?
        private var resolved: Fields?

        init(_ resolve: @escaping @Sendable () -> SourceLocation) { self.resolve = resolve }

        var fields: Fields {
            lock.lock()
            defer { lock.unlock() }
            if let resolved { return resolved }
            let fields = resolve?().fields ?? Fields("<none>", 0, 0, "")
            resolved = fields
            resolve = nil
            return fields
        }
    }
}

/// A memo of `Job.definitionHash`: a cache, so never part of equality.
struct DefinitionHashMemo: Sendable, Hashable {
    var value: String?

    static func == (a: DefinitionHashMemo, b: DefinitionHashMemo) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}
