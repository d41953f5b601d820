/// Something wrong in `jobs.d/` or `jcrun.yaml`, with the place that says it.
///
/// Locations are template positions (what the user wrote), with paths already
/// relative to the folder messages are shown against. `lines` turns a case
/// into what the user reads; it is the only place that wording lives.
public enum ConfigError: Error, Sendable, Hashable {
    /// No `jobs.d/` in the folder or any parent.
    case noProject(searchedFrom: String)
    /// A file or folder that exists but cannot be read.
    case unreadable(path: String, reason: String)
    /// `--jobs-dir` (or the found project's `jobs.d/`) does not exist.
    case noJobsFolder(path: String)
    /// `--jobs-dir` names a file.
    case jobsFolderNotAFolder(path: String)
    /// A name in `jobs.d/` ending in `.yaml` that is not a file.
    case notAJobFile(path: String, reason: String)
    /// Bytes that are not UTF-8.
    case invalidText(String, at: SourceLocation)
    /// The template engine's complaint; `suggestion` is the engine's whole
    /// "did you mean 'upper'?" text.
    case template(message: String, suggestion: String?, at: SourceLocation)
    /// libyaml's complaint about the rendered text; `contextAt` is where
    /// the construct it was reading (`a flow sequence`) began.
    case yamlSyntax(
        message: String, context: String?, at: SourceLocation, contextAt: SourceLocation?)
    case duplicateKey(String, at: SourceLocation, first: SourceLocation)
    case unknownAnchor(String, at: SourceLocation)
    case tooManyNodes(limit: Int, at: SourceLocation)
    case badMerge(at: SourceLocation)
    /// A job file that renders to no YAML document at all.
    case emptyFile(at: SourceLocation)
    /// A job file without a top-level `jobs:` list.
    case noJobsList(at: SourceLocation)
    /// A job file, or `jcrun.yaml`, holding more than one YAML document;
    /// `file` names which: `a job file`, `jcrun.yaml`.
    case severalDocuments(file: String, at: SourceLocation)
    /// `place` is what holds the key: `job 'x'`, `jcrun.yaml`, `defaults`.
    case unknownKey(String, in: String, suggestion: String?, at: SourceLocation)
    case missingKey(String, in: String, at: SourceLocation)
    /// An entry of a job file's `jobs:` list that is not a job's mapping
    /// (`- hello`, or a bare `-`); `found` is `text`, `a list`, `nothing`.
    case jobEntryNotAMapping(found: String, at: SourceLocation)
    /// `expected` reads after "must be": `text`, `a list of text`.
    case wrongType(field: String, expected: String, found: String, at: SourceLocation)
    /// A value of the right type that breaks a rule; `problem` says which.
    case invalidValue(field: String, value: String, problem: String, at: SourceLocation)
    case invalidID(String, problem: String, at: SourceLocation)
    case duplicateID(JobID, at: SourceLocation, first: SourceLocation)
    case missingDependency(job: JobID, dependency: JobID, suggestion: JobID?, at: SourceLocation)
    case retvalOfNonDependency(job: JobID, retval: JobID, at: SourceLocation)
    case unknownTag(String, suggestion: String?, at: SourceLocation)
    /// A tag on a list, a mapping or a mapping key (`on`), where jcrun
    /// would drop it; `suggestion` is a jcrun tag it may misspell.
    /// `settingsFile`: the tag is in `jcrun.yaml` (its name), where tags
    /// stand only on values of `defaults`' `env`.
    case misplacedTag(
        String, on: String, suggestion: String?, at: SourceLocation, settingsFile: String? = nil)
    /// `!retval`, `!secret` or `!env` with nothing after it; `expected`
    /// is what it takes (`a job id`).
    case tagWithoutName(String, expected: String, at: SourceLocation)
    /// A value a program would get with a NUL byte, which would cut it.
    case nulByte(field: String, at: SourceLocation)
    /// A secret whose value holds a NUL byte.
    case nulInSecret(String, at: SourceLocation)
    /// A secret written as a list, or a mapping that is not `{env: NAME}` or
    /// `{file: PATH}`; `found` says what it is.
    case badSecret(String, found: String, at: SourceLocation)
    /// A mapping key that is a list or a mapping; `field` holds the mapping.
    case keyNotText(in: String, found: String, at: SourceLocation)
    /// `jcrun.yaml` (or `jcrun.yml`) that is not a regular file; `found`
    /// says what it is.
    case notASettingsFile(path: String, found: String)
    /// Both `jcrun.yaml` and `jcrun.yml` in the project folder.
    case twoSettingsFiles(String, String)
    case tagNotAllowed(String, field: String, at: SourceLocation)
    /// `!!int 5x`: a YAML tag claiming the value is `expected`, which it is not.
    case tagDoesNotFit(String, value: String, expected: String, at: SourceLocation)
    case unknownSecret(String, suggestion: String?, at: SourceLocation)
    case unsetEnvironmentVariable(String, at: SourceLocation)
    case reservedEnvName(String, at: SourceLocation)
    /// Two dependencies whose `JCRUN_RETVAL_<DEP>` names are the same.
    case retvalNameClash(
        variable: String, first: JobID, second: JobID, at: SourceLocation, firstAt: SourceLocation)
    case shortSecret(String, at: SourceLocation)
    case unsetSecretSource(secret: String, variable: String, at: SourceLocation)
    case unreadableSecretFile(secret: String, path: String, reason: String, at: SourceLocation)
    case varNamedEnv(at: SourceLocation)
    /// `path` runs from a job back to itself: `[a, b, a]`, each needing the
    /// next; `edges[i]` is where `path[i]` names `path[i + 1]`.
    case cycle(path: [JobID], edges: [SourceLocation])
    /// An invariant of jcrun itself broke.
    case internalError(String)
}

extension ConfigError {
    /// Jobs of a circle shown before `... N more` and its last job.
    static let cycleJobsShown = 5

    /// The lines the user reads: `jcrun: error: FILE:LINE:COL: what is wrong`
    /// (with a hint after `; ` when there is one), then indented places.
    public var lines: [String] {
        let (first, places, hint) = parts
        // The hint rides on the error's own line: one line per error.
        // After a question ("did you mean 'env'?") a `;` would read twice.
        let joint = first.hasSuffix("?") ? " " : "; "
        var lines = ["jcrun: error: " + first + (hint.map { joint + $0 } ?? "")]
        lines += places.map { "  " + $0 }
        return lines
    }

    /// The first line without the `jcrun: error: ` prefix.
    public var message: String { parts.first }

    private var parts: (first: String, places: [String], hint: String?) {
        switch self {
        case .noProject(let dir):
            return (
                "no jobs.d/ folder in \(dir) or any folder above it", [],
                "create jobs.d/ with a job file, or pass -C DIR or --jobs-dir DIR"
            )
        case .unreadable(let path, let reason):
            return ("\(path): cannot read: \(reason)", [], nil)
        case .notAJobFile(let path, let reason):
            return ("\(path): \(reason), not a job file", [], nil)
        case .noJobsFolder(let path):
            return ("jobs folder '\(path)' does not exist", [], nil)
        case .jobsFolderNotAFolder(let path):
            return ("jobs folder '\(path)' is a file, not a folder", [], nil)
        case .invalidText(let problem, let at):
            return ("\(at): \(problem)", [], nil)
        case .template(let message, let suggestion, let at):
            // `${#VAR}` in a shell command opens a template comment.
            let hint =
                message.hasPrefix("unterminated comment")
                ? "to write '{#' itself (as in the shell's ${#VAR}), put the text in"
                    + " {% raw %}...{% endraw %} or write {{ '{#' }}" : nil
            return ("\(at): \(message)\(suggestion.map { "; \($0)" } ?? "")", [], hint)
        case .yamlSyntax(let message, let context, let at, let contextAt):
            let tail = context.map { " \($0)" } ?? ""
            var places: [String] = []
            if let context, let contextAt, contextAt != at {
                places.append("\(contextAt): \(constructStart(context))")
            }
            return ("\(at): invalid YAML: \(message)\(tail)", places, nil)
        case .duplicateKey(let key, let at, let first):
            return (
                "\(at): key '\(key)' is written twice in one mapping",
                ["\(first): first written here"], nil
            )
        case .unknownAnchor(let name, let at):
            return ("\(at): alias '*\(name)' names no anchor '&\(name)' written before it", [], nil)
        case .tooManyNodes(let limit, let at):
            return (
                "\(at): aliases here expand to more than \(limit) YAML nodes", [],
                "is this an alias bomb?"
            )
        case .badMerge(let at):
            return ("\(at): a merge key '<<' needs a mapping or a list of mappings", [], nil)
        case .emptyFile(let at):
            return ("\(at): the file is empty; expected a top-level 'jobs:' list", [], nil)
        case .noJobsList(let at):
            return (
                "\(at): expected a top-level 'jobs:' list", [],
                "a job file reads 'jobs:' then '- id: ...' entries"
            )
        case .severalDocuments(let file, let at):
            return ("\(at): \(file) holds one YAML document; this is a second one", [], nil)
        case .unknownKey(let key, let place, let suggestion, let at):
            var hint: String? =
                place == "a job file" && suggestion == nil
                ? "a job file holds 'jobs:' and keys starting with 'x-' for YAML anchors" : nil
            if place.hasPrefix("secret '") {
                hint = "a secret is text, {env: NAME} or {file: PATH}"
            }
            return ("\(at): unknown key '\(key)' in \(place)\(didYouMean(suggestion))", [], hint)
        case .missingKey(let key, let place, let at):
            return ("\(at): \(place) has no '\(key)'", [], nil)
        case .jobEntryNotAMapping(let found, let at):
            return ("\(at): each entry of 'jobs' must be a mapping (a job), not \(found)", [], nil)
        case .wrongType(let field, let expected, let found, let at):
            return ("\(at): '\(field)' must be \(expected), not \(found)", [], nil)
        case .invalidValue(let field, let value, let problem, let at):
            return ("\(at): invalid '\(field)' '\(value)': \(problem)", [], nil)
        case .invalidID(let id, let problem, let at):
            return ("\(at): invalid job id '\(id)': \(problem)", [], nil)
        case .duplicateID(let id, let at, let first):
            return (
                "\(at): job '\(id)' is defined twice", ["\(first): first definition of '\(id)'"],
                nil
            )
        case .missingDependency(let job, let dependency, let suggestion, let at):
            return (
                "\(at): job '\(job)' needs '\(dependency)', which is not defined\(didYouMean(suggestion))",
                [], nil
            )
        case .retvalOfNonDependency(let job, let retval, let at):
            return (
                "\(at): job '\(job)' uses '!retval \(retval)', but '\(retval)' is not one of its dependencies",
                [], "add '\(retval)' to the job's dependencies"
            )
        case .unknownTag(let tag, let suggestion, let at):
            return (
                "\(at): unknown tag '\(tag)'\(didYouMean(suggestion))", [],
                "jcrun knows !retval, !secret and !env"
            )
        case .misplacedTag(let tag, let on, let suggestion, let at, let settingsFile):
            let fields =
                settingsFile.map { "of 'env' under 'defaults' in \($0)" }
                ?? "in 'command', 'args' or 'env'"
            return (
                "\(at): tag '\(tag)' cannot stand on \(on)\(didYouMean(suggestion))", [],
                "!retval JOB, !secret NAME and !env NAME each stand on one value \(fields)"
                    + " (X: !env HOME)"
            )
        case .tagWithoutName(let tag, let expected, let at):
            return ("\(at): '\(tag)' needs \(expected) after it, as in '\(tag) \(example(of: tag))'", [], nil)
        case .nulByte(let field, let at):
            return (
                "\(at): '\(field)' holds a NUL byte (\\0); expected text without one, since a program's arguments and environment end at the first NUL",
                [], nil
            )
        case .nulInSecret(let name, let at):
            return (
                "\(at): secret '\(name)' holds a NUL byte (\\0); expected text without one, since a program's arguments and environment end at the first NUL",
                [], nil
            )
        case .badSecret(let name, let found, let at):
            return (
                "\(at): secret '\(name)' must be text, {env: NAME} or {file: PATH}, not \(found)", [],
                nil
            )
        case .keyNotText(let field, let found, let at):
            let hint =
                field == "jcrun.yaml" || field == "jcrun.yml"
                ? "\(field) is plain YAML, not a template; quote a key that starts with '{' or '['"
                : "quote a key that starts with '{' or '['"
            return ("\(at): a key in '\(field)' must be text, not \(found)", [], hint)
        case .notASettingsFile(let path, let found):
            return ("\(path): expected a settings file (YAML text), found \(found)", [], nil)
        case .twoSettingsFiles(let first, let second):
            return (
                "\(first) and \(second) are both present; jcrun reads one settings file", [],
                "keep one of the two"
            )
        case .tagNotAllowed(let tag, let field, let at):
            return ("\(at): tag '\(tag)' is not allowed in '\(field)'", [], nil)
        case .tagDoesNotFit(let tag, let value, let expected, let at):
            return (
                "\(at): tag '\(tag)' says '\(value)' is \(expected), which it is not;"
                    + " a YAML tag may only restate what is written", [], nil
            )
        case .unknownSecret(let name, let suggestion, let at):
            return (
                "\(at): unknown secret '\(name)'\(didYouMean(suggestion))", [],
                "secrets are defined under 'secrets:' in jcrun.yaml"
            )
        case .unsetEnvironmentVariable(let name, let at):
            return (
                "\(at): environment variable '\(name)' is not set (read by '!env \(name)')", [], nil
            )
        case .reservedEnvName(let name, let at):
            return (
                "\(at): env name '\(name)' is reserved: names starting with JCRUN_ are set by jcrun",
                [], nil
            )
        case .retvalNameClash(let variable, let first, let second, let at, let firstAt):
            return (
                "\(at): dependencies '\(first)' and '\(second)' both pass their return value as \(variable)",
                ["\(firstAt): '\(first)' is named here"], "rename one of the two jobs"
            )
        case .shortSecret(let name, let at):
            return (
                "\(at): secret '\(name)' is shorter than 4 characters, too short to mask safely",
                [], nil
            )
        case .unsetSecretSource(let secret, let variable, let at):
            return (
                "\(at): secret '\(secret)' reads environment variable '\(variable)', which is not set",
                [], nil
            )
        case .unreadableSecretFile(let secret, let path, let reason, let at):
            return ("\(at): secret '\(secret)': cannot read file '\(path)': \(reason)", [], nil)
        case .varNamedEnv(let at):
            return (
                "\(at): a var may not be named 'env': templates see the environment as 'env'", [],
                nil
            )
        case .cycle(let path, let edges):
            let first = edges.first.map { "\($0): " } ?? ""
            var places = zip(edges, zip(path, path.dropFirst())).map {
                "\($0): \($1.0) needs \($1.1)"
            }
            var shown = path.joined(separator: " → ")
            // A long circle (templates can make thousands) is shown by its
            // first few and last jobs and edges, so it stays one error.
            let limit = ConfigError.cycleJobsShown
            if path.count > limit + 2 {
                let hidden = path.count - limit - 2
                shown =
                    (path.prefix(limit) + ["... \(hidden) more"] + path.suffix(2))
                    .joined(separator: " → ")
                places =
                    Array(places.prefix(limit)) + ["... \(places.count - limit - 1) more"]
                    + [places.last!]
            }
            return ("\(first)jobs depend on each other in a circle: \(shown)", places, nil)
        case .internalError(let what):
            return ("internal error: \(what); this is a jcrun bug, please report it", [], nil)
        }
    }
}

/// `while parsing a flow sequence` → `the flow sequence starts here`.
private func constructStart(_ context: String) -> String {
    var what = Substring(context)
    for prefix in ["while parsing ", "while scanning "] where what.hasPrefix(prefix) {
        what = what.dropFirst(prefix.count)
    }
    for article in ["a ", "an "] where what.hasPrefix(article) {
        what = "the " + what.dropFirst(article.count)
    }
    return "\(what) starts here"
}

/// What follows a tag in the example of `tagWithoutName`.
private func example(of tag: String) -> String {
    switch tag {
    case "!retval": return "inventory"
    case "!secret": return "mirror_token"
    default: return "HOME"
    }
}

private func didYouMean(_ suggestion: String?) -> String {
    suggestion.map { "; did you mean '\($0)'?" } ?? ""
}

/// Every error a load found: the first 20, and how many more there were.
public struct ConfigErrors: Error, Sendable {
    public static let shownLimit = 20

    public private(set) var errors: [ConfigError] = []
    /// Errors found beyond the first `shownLimit`.
    public private(set) var moreCount = 0

    public init(_ errors: [ConfigError] = []) {
        for error in errors { append(error) }
    }

    public var isEmpty: Bool { errors.isEmpty }

    public mutating func append(_ error: ConfigError) {
        if errors.count < Self.shownLimit { errors.append(error) } else { moreCount += 1 }
    }

    /// Notes `count` errors found beyond those kept.
    mutating func countMore(_ count: Int) { moreCount += count }

    /// `other`'s errors after these, as if each had been appended in turn.
    public mutating func append(contentsOf other: ConfigErrors) {
        for error in other.errors { append(error) }
        moreCount += other.moreCount
    }

    /// What `jcrun` prints on stderr, one string per line, each error's lines
    /// in order, then `jcrun: error: N more errors` when some were left out.
    public func formatted() -> [String] {
        var lines = errors.flatMap(\.lines)
        if moreCount > 0 {
            lines.append("jcrun: error: \(moreCount) more error\(moreCount == 1 ? "" : "s")")
        }
        return lines
    }
}
