import Foundation
import YAMLNodes

/// Decodes job mappings into `JobFields`, resolving `!env` and checking
/// `!secret` names as it goes.
struct JobDecoder {
    let reader: FieldReader
    let secretNames: [String]
    let environment: [String: String]
    /// Notes each variable `!env` reads, for the job-set cache.
    var inputs: CacheInputs?

    /// The fields of one mapping; `known` limits the keys (jobs or defaults).
    func fields(of node: Node, known: [String], place: String) -> JobFields? {
        if place != "defaults", !node.kind.isMapping {
            let found = isNull(node) ? "nothing" : reader.describe(node)
            reader.fail(.jobEntryNotAMapping(found: found, at: reader.at(node)))
            return nil
        }
        guard let pairs = reader.mapping(node, field: place == "defaults" ? "defaults" : "jobs")
        else { return nil }
        let id = pairs.first { $0.key == "id" }.flatMap { pair -> String? in
            if case .scalar(let text, _) = pair.value.kind { return text }
            return nil
        }
        // `defaults` is named as such even when it (wrongly) holds an `id`.
        let holder = place == "defaults" ? place : id.map { "job '\($0)'" } ?? place
        let misspelt = reader.checkKeys(pairs, known: known, place: holder)
        var fields = JobFields()
        // A key reported as a misspelling of a known one counts as given.
        fields.failedKeys.formUnion(misspelt.subtracting(pairs.map(\.key)))
        for (key, _, value) in pairs where known.contains(key) {
            if !read(key, value, into: &fields) { fields.failedKeys.insert(key) }
        }
        return fields
    }

    /// Reads one key; false when it was reported as wrong.
    private func read(_ key: String, _ value: Node, into fields: inout JobFields) -> Bool {
        switch key {
        case "id": return set(&fields.id, id(value))
        case "title": return set(&fields.title, reader.text(value, field: key))
        case "notes": return set(&fields.notes, reader.text(value, field: key))
        case "command": return set(&fields.command, command(value, field: key, fields: &fields))
        case "args": return set(&fields.args, argList(value, field: key, fields: &fields))
        case "env": return set(&fields.env, env(value, fields: &fields))
        case "dependencies": return set(&fields.dependencies, dependencies(value, fields: &fields))
        case "workdir":
            let text = reader.text(value, field: key)
            return set(&fields.workdir, text.flatMap { reader.noNUL($0, field: key, value) ? $0 : nil })
        case "timeout":
            return set(&fields.timeout, reader.duration(value, field: key, positive: true))
        case "retries":
            return set(&fields.retries, reader.integer(value, field: key, range: 0...100))
        case "retry_delay": return set(&fields.retryDelay, reader.duration(value, field: key))
        case "stop_grace": return set(&fields.stopGrace, reader.duration(value, field: key))
        case "max_age": return set(&fields.maxAge, reader.duration(value, field: key))
        case "tags": return set(&fields.tags, textList(value, field: key))
        case "protect": return set(&fields.protect, reader.bool(value, field: key))
        case "early_cutoff": return set(&fields.earlyCutoff, reader.bool(value, field: key))
        case "directives": return set(&fields.directives, directives(value))
        case "cleanup": return set(&fields.cleanup, command(value, field: key, fields: &fields))
        default: return true
        }
    }

    private func set<T>(_ slot: inout T?, _ value: T?) -> Bool {
        guard let value else { return false }
        slot = value
        return true
    }

    /// A job id: checked and normalised to NFC.
    func id(_ node: Node) -> JobID? {
        guard let raw = reader.text(node, field: "id") else { return nil }
        let id = raw.nfc
        if let problem = jobIDProblem(id) {
            reader.fail(.invalidID(id, problem: problem, at: reader.at(node)))
            // Already reported: a job needing it gets no "which is not defined".
            reader.collector.brokenJobs.insert(id)
            return nil
        }
        return id
    }

    private func command(_ node: Node, field: String, fields: inout JobFields) -> Command? {
        if case .scalar = node.kind {
            guard let text = reader.text(node, field: field) else { return nil }
            if text.allSatisfy(\.isWhitespace) {
                let problem = "a command must not be empty"
                reader.fail(
                    .invalidValue(field: field, value: text, problem: problem, at: reader.at(node)))
                return nil
            }
            guard reader.noNUL(text, field: field, node) else { return nil }
            return .shell(text)
        }
        guard case .sequence(let items) = node.kind else {
            let expected = "a list (program and arguments) or text (a shell command)"
            reader.fail(
                .wrongType(
                    field: field, expected: expected, found: reader.describe(node),
                    at: reader.at(node)))
            return nil
        }
        if items.isEmpty {
            let problem = "a command must name a program"
            reader.fail(
                .invalidValue(field: field, value: "[]", problem: problem, at: reader.at(node)))
            return nil
        }
        return argList(node, field: field, fields: &fields).map(Command.argv)
    }

    private func argList(_ node: Node, field: String, fields: inout JobFields) -> [ArgValue]? {
        var uses: [JobFields.RetvalUse] = []
        let values = reader.list(node, field: field, expected: "a list of text") { item in
            argValue(item, field: field, uses: &uses, envName: nil)
        }
        fields.retvalUses += uses
        return values
    }

    /// `tags`: a worker names its tags on the command line
    /// (`--tags gpu,big-disk`), so a tag must be one it can write there:
    /// a tag with a comma or a space was accepted, and no worker could
    /// ever claim its builds (`jobTagProblem`).
    private func textList(_ node: Node, field: String) -> [String]? {
        reader.list(node, field: field, expected: "a list of text") { item in
            reader.text(item, field: field).flatMap { tag in
                guard reader.noNUL(tag, field: field, item) else { return nil }
                guard let problem = jobTagProblem(tag) else { return tag }
                reader.fail(
                    .invalidValue(
                        field: field, value: VisibleText.escaped(tag), problem: problem,
                        at: reader.at(item)))
                return nil
            }
        }
    }

    /// One argument or env value: text, `!retval JOB`, `!secret NAME`, `!env NAME`.
    func argValue(_ node: Node, field: String, uses: inout [JobFields.RetvalUse], envName: String?)
        -> ArgValue?
    {
        guard case .scalar(let value, _) = node.kind else {
            reader.fail(
                .wrongType(
                    field: field, expected: "text", found: reader.describe(node),
                    at: reader.at(node)))
            return nil
        }
        if let tag = node.tag, FieldReader.jcrunTags.contains(tag),
            value.allSatisfy(\.isWhitespace)
        {
            let expected = [
                "!retval": "a job id", "!secret": "a secret's name",
                "!env": "an environment variable's name",
            ][tag]!
            reader.fail(.tagWithoutName(tag, expected: expected, at: reader.at(node)))
            return nil
        }
        // A name with a NUL is no job, secret or variable anyone can define.
        if let tag = node.tag, FieldReader.jcrunTags.contains(tag),
            !reader.noNUL(value, field: "\(field)' tag '\(tag)", node)
        {
            return nil
        }
        switch node.tag {
        case nil:
            guard reader.noNUL(value, field: field, node) else { return nil }
            return .text(value)
        case "!retval":
            let job = value.nfc
            uses.append(JobFields.RetvalUse(job: job, at: reader.at(node), envName: envName))
            return .retval(job)
        case "!secret":
            guard secretNames.contains(value) else {
                let suggestion = closestMatch(to: value, among: secretNames)
                reader.fail(.unknownSecret(value, suggestion: suggestion, at: reader.at(node)))
                return nil
            }
            return .secret(value)
        case "!env":
            inputs?.noteEnvironmentRead(value)
            guard let resolved = environment[value] else {
                reader.fail(.unsetEnvironmentVariable(value, at: reader.at(node)))
                return nil
            }
            return .text(resolved)
        case let tag? where FieldReader.scalarTags.contains(tag):
            guard reader.restatingTagFits(node, value) else { return nil }
            guard reader.noNUL(value, field: field, node) else { return nil }
            return .text(value)
        case let tag?:
            let suggestion = closestMatch(to: tag, among: FieldReader.jcrunTags)
            reader.fail(.unknownTag(displayTag(tag), suggestion: suggestion, at: reader.at(node)))
            return nil
        }
    }

    private func env(_ node: Node, fields: inout JobFields) -> [Job.EnvEntry]? {
        if isNull(node) { return [] }
        guard let pairs = reader.mapping(node, field: "env") else { return nil }
        var entries: [Job.EnvEntry] = []
        var ok = true
        var uses: [JobFields.RetvalUse] = []
        for (name, keyNode, value) in pairs {
            if name.isEmpty || name.utf8.contains(where: { $0 == UInt8(ascii: "=") || $0 == 0 }) {
                let problem = "an environment variable name must be non-empty text without '='"
                reader.fail(
                    .invalidValue(
                        field: "env", value: name, problem: problem, at: reader.at(keyNode)))
                ok = false
            } else if name.hasPrefix("JCRUN_") {
                reader.fail(.reservedEnvName(name, at: reader.at(keyNode)))
                ok = false
            } else if let argument = argValue(value, field: "env", uses: &uses, envName: name) {
                entries.append(Job.EnvEntry(name: name, value: argument))
            } else {
                ok = false
            }
        }
        fields.retvalUses += uses
        return ok ? entries : nil
    }

    private func dependencies(_ node: Node, fields: inout JobFields) -> [JobID]? {
        var sources: [JobID: SourceLocation] = [:]
        let ids = reader.list(node, field: "dependencies", expected: "a list of job ids") {
            item -> JobID? in
            guard let id = reader.text(item, field: "dependencies") else { return nil }
            let normalised = id.nfc
            if sources[normalised] == nil { sources[normalised] = reader.deferredAt(item) }
            return normalised
        }
        guard let ids else { return nil }
        fields.dependencySources = sources
        return Array(Set(ids)).sorted()
    }

    private func directives(_ node: Node) -> DirectiveMode? {
        guard let value = reader.text(node, field: "directives") else { return nil }
        guard let mode = DirectiveMode(rawValue: value) else {
            let problem = "expected stdout, fd or off"
            reader.fail(
                .invalidValue(
                    field: "directives", value: value, problem: problem, at: reader.at(node)))
            return nil
        }
        return mode
    }
}

/// Why `tag` cannot be a job's tag, or nil when it can (docs/JOBS.md,
/// "tags"): one or more ASCII letters, digits, `_`, `.` and `-`, which
/// `jcrun worker --tags a,b` can name (a comma separates tags there, white
/// space around them is dropped) and which read the same in every
/// Unicode normal form.
public func jobTagProblem(_ tag: String) -> String? {
    if tag.isEmpty { return "a tag must not be empty" }
    let fits = tag.utf8.allSatisfy { byte in
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }
    if fits { return nil }
    return "expected a tag of ASCII letters, digits, '_', '.' and '-' (as 'jcrun worker --tags' names tags)"
}

/// Why `id` is not a valid job id (docs/JOBS.md, "Ids"), or nil when it is.
public func jobIDProblem(_ id: String) -> String? {
    if id.isEmpty { return "an id must not be empty" }
    // Fast path: printable ASCII other than the forbidden signs.
    let plain = id.utf8.allSatisfy { byte in
        byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "/") && byte != UInt8(ascii: "=")
            && byte != UInt8(ascii: "#") && byte != UInt8(ascii: ",")
    }
    if plain { return leadingProblem(id) }
    for scalar in id.unicodeScalars {
        if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
            return "an id must not contain white space or control characters"
        }
        // Invisible: a zero-width space makes two ids look alike, a
        // right-to-left override reorders the terminal line showing it.
        if scalar.properties.generalCategory == .format {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            return "an id must not contain invisible formatting characters (\(code))"
        }
        if "/=#,".unicodeScalars.contains(scalar) {
            return "an id must not contain '\(scalar)'"
        }
    }
    return leadingProblem(id)
}

private func leadingProblem(_ id: String) -> String? {
    let first = id.utf8.first
    if first == UInt8(ascii: "-") || first == UInt8(ascii: ".") {
        return "an id must not start with '\(Character(Unicode.Scalar(first!)))'"
    }
    if id.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
        return "an id must not be all digits (digits name a build)"
    }
    return nil
}

extension String {
    /// The text normalised to NFC; ASCII text (most ids) is returned as is.
    var nfc: String {
        utf8.allSatisfy { $0 < 0x80 } ? self : precomposedStringWithCanonicalMapping
    }
}

extension Node.Kind {
    fileprivate var isMapping: Bool {
        if case .mapping = self { return true }
        return false
    }
}
