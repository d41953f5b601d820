import Foundation

extension Job {
    /// The fields whose change outdates a job (JOBS.md, "When a job is
    /// outdated"), in the order messages name them.
    public static let hashedFields = ["command", "args", "env", "dependencies", "workdir"]

    /// A hash of the fields that outdate a job, as 16 hex digits.
    ///
    /// FNV-1a 64 over the canonical JSON of `hashedFields`, so it is the same
    /// on every run and machine. `!retval X` is hashed as the tag and `X`,
    /// `!secret N` as the tag and `N`, never their values.
    public var definitionHash: String {
        if let known = hashMemo.value { return known }
        var hash = FNV1a64()
        writeHashedJSON(to: &hash)
        let hex = String(hash.value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The job's definition as canonical JSON (sorted keys, no spaces), for
    /// the store's build snapshot, `show` and the web page. Secrets appear as
    /// `{"!secret":"name"}`, and a secret's value that reached the job's text
    /// another way (`{{ env.X }}`, `!env X`) as `***`, line by line as the
    /// runner masks output. `definitionHash` hashes the unmasked text, so
    /// changing such a value still outdates the job.
    public func snapshotJSON() -> String {
        Self.canonicalObject(snapshotFields, leaving: [])
    }

    /// `snapshotJSON` without `title` and `notes`, as a build stores it:
    /// they never outdate a job, and long notes would be copied into every
    /// build row (a 30 MB `notes` made each build cost 60 MB). Made once per
    /// build, so the fields are worked out once (it was twice, plus a
    /// dictionary of them: 15-37 us of every build's 300).
    public func buildSnapshotJSON() -> String {
        Self.canonicalObject(snapshotFields, leaving: ["title", "notes"])
    }

    /// `{"name":value,...}` with the names sorted, leaving out `leaving`.
    private static func canonicalObject(_ fields: [(String, String)], leaving: Set<String>) -> String {
        var out = "{"
        var first = true
        for (name, value) in fields.sorted(by: { $0.0 < $1.0 }) where !leaving.contains(name) {
            if !first { out += "," }
            first = false
            out += quoted(name)
            out += ":"
            out += value
        }
        return out + "}"
    }

    /// This job with every secret value in its text replaced by `***`: what
    /// `show` and the web page display.
    public var displayed: Job {
        guard !secretValues.isEmpty else { return self }
        return masked(by: SecretMasker(secretValues))
    }

    /// This job with `masker` applied to every text field.
    public func masked(by masker: SecretMasker) -> Job {
        guard !masker.isEmpty else { return self }
        func mask(_ value: ArgValue) -> ArgValue {
            if case .text(let text) = value { return .text(masker.mask(text)) }
            return value
        }
        func mask(_ command: Command) -> Command {
            switch command {
            case .argv(let argv): return .argv(argv.map(mask))
            case .shell(let text): return .shell(masker.mask(text))
            }
        }
        var copy = self
        copy.title = title.map(masker.mask)
        copy.notes = notes.map(masker.mask)
        copy.tags = tags.map(masker.mask)
        copy.command = mask(command)
        copy.args = args.map(mask)
        copy.env = env.map { Job.EnvEntry(name: $0.name, value: mask($0.value)) }
        copy.workdir = masker.mask(workdir)
        copy.cleanup = cleanup.map(mask)
        copy.secretValues = []
        return copy
    }

    /// The hashed fields that differ between this job and a stored snapshot,
    /// in `hashedFields` order; all of them when the snapshot cannot be read.
    public func changedFields(from oldSnapshot: String) -> [String] {
        guard let data = oldSnapshot.data(using: .utf8),
            let old = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return Self.hashedFields }
        let current = Dictionary(uniqueKeysWithValues: snapshotFields)
        return Self.hashedFields.filter { field in
            let before = old[field].map(canonical) ?? "null"
            return before != current[field]
        }
    }

    /// Each snapshot field and its canonical JSON value, secrets masked.
    private var snapshotFields: [(String, String)] {
        secretValues.isEmpty ? unmaskedSnapshotFields : displayed.unmaskedSnapshotFields
    }

    private var unmaskedSnapshotFields: [(String, String)] {
        [
            ("id", quoted(id)),
            ("title", title.map(quoted) ?? "null"),
            ("notes", notes.map(quoted) ?? "null"),
            ("command", json(command)),
            ("args", "[" + args.map(json).joined(separator: ",") + "]"),
            ("env", json(env)),
            (
                "dependencies",
                "[" + Set(dependencies).sorted().map(quoted).joined(separator: ",") + "]"
            ),
            ("workdir", quoted(workdir)),
            ("timeout", timeout.map(String.init) ?? "null"),
            ("retries", String(retries)),
            ("retry_delay", String(retryDelay)),
            ("stop_grace", String(stopGrace)),
            ("max_age", maxAge.map(String.init) ?? "null"),
            ("tags", "[" + tags.map(quoted).joined(separator: ",") + "]"),
            ("protect", String(protect)),
            ("early_cutoff", String(earlyCutoff)),
            ("directives", quoted(directives.rawValue)),
            ("cleanup", cleanup.map(json) ?? "null"),
        ]
    }

    /// The canonical JSON of `hashedFields`, the same text as
    /// `canonicalJSON(fields: hashedFields.sorted())` but written into one
    /// buffer: the planner hashes every job on every run (10,000 jobs: 2 ms
    /// instead of 70 ms).
    func hashedJSON() -> String {
        var out = ""
        out.reserveCapacity(256)
        writeHashedJSON(to: &out)
        return out
    }

    /// `hashedJSON` written to `out`: the hash takes the text as it is made.
    func writeHashedJSON<Sink: JSONSink>(to out: inout Sink) {
        out.write("{\"args\":[")
        for (index, arg) in args.enumerated() {
            if index > 0 { out.write(",") }
            appendJSON(arg, to: &out)
        }
        out.write("],\"command\":")
        appendJSON(command, to: &out)
        out.write(",\"dependencies\":[")
        let isSortedSet = zip(dependencies, dependencies.dropFirst()).allSatisfy { $0 < $1 }
        let dependencies = isSortedSet ? dependencies : Set(dependencies).sorted()
        for (index, dependency) in dependencies.enumerated() {
            if index > 0 { out.write(",") }
            appendQuoted(dependency, to: &out)
        }
        out.write("],\"env\":{")
        for (index, entry) in env.sorted(by: { $0.name < $1.name }).enumerated() {
            if index > 0 { out.write(",") }
            appendQuoted(entry.name, to: &out)
            out.write(":")
            appendJSON(entry.value, to: &out)
        }
        out.write("},\"workdir\":")
        appendQuoted(workdir, to: &out)
        out.write("}")
    }

    func canonicalJSON(fields: [String]) -> String {
        let values = Dictionary(uniqueKeysWithValues: snapshotFields)
        return "{" + fields.map { quoted($0) + ":" + values[$0]! }.joined(separator: ",") + "}"
    }
}

private func json(_ command: Command) -> String {
    switch command {
    case .argv(let argv): return "{\"argv\":[" + argv.map(json).joined(separator: ",") + "]}"
    case .shell(let text): return "{\"shell\":" + quoted(text) + "}"
    }
}

private func json(_ value: ArgValue) -> String {
    switch value {
    case .text(let text): return quoted(text)
    case .retval(let job): return "{\"!retval\":" + quoted(job) + "}"
    case .secret(let name): return "{\"!secret\":" + quoted(name) + "}"
    }
}

/// Env as an object with sorted names: the order never changes what runs.
private func json(_ env: [Job.EnvEntry]) -> String {
    let sorted = env.sorted { $0.name < $1.name }
    return "{" + sorted.map { quoted($0.name) + ":" + json($0.value) }.joined(separator: ",") + "}"
}

private func appendJSON<Sink: JSONSink>(_ command: Command, to out: inout Sink) {
    switch command {
    case .argv(let argv):
        out.write("{\"argv\":[")
        for (index, arg) in argv.enumerated() {
            if index > 0 { out.write(",") }
            appendJSON(arg, to: &out)
        }
        out.write("]}")
    case .shell(let text):
        out.write("{\"shell\":")
        appendQuoted(text, to: &out)
        out.write("}")
    }
}

private func appendJSON<Sink: JSONSink>(_ value: ArgValue, to out: inout Sink) {
    switch value {
    case .text(let text): appendQuoted(text, to: &out)
    case .retval(let job):
        out.write("{\"!retval\":")
        appendQuoted(job, to: &out)
        out.write("}")
    case .secret(let name):
        out.write("{\"!secret\":")
        appendQuoted(name, to: &out)
        out.write("}")
    }
}

/// `quoted(text)` appended to `out`; text that needs no escape is copied whole.
private func appendQuoted<Sink: JSONSink>(_ text: String, to out: inout Sink) {
    let plain = text.utf8.allSatisfy { byte in
        byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }
    if plain {
        out.write("\"")
        out.write(text)
        out.write("\"")
    } else {
        out.write(quoted(text))
    }
}

/// Where `writeHashedJSON` puts its text.
protocol JSONSink {
    mutating func write(_ text: String)
}

extension String: JSONSink {
    mutating func write(_ text: String) { self += text }
}

/// FNV-1a with 64 bits, fed text as it is written.
struct FNV1a64: JSONSink {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func write(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
    }
}

/// A JSON string literal, escaped the one way JobControl writes JSON.
private func quoted(_ text: String) -> String { JSONText.quoted(text) }

/// Re-encodes a value `JSONSerialization` read, the way `snapshotJSON` writes it.
private func canonical(_ value: Any) -> String {
    switch value {
    case let text as String:
        return quoted(text)
    case let list as [Any]:
        return "[" + list.map(canonical).joined(separator: ",") + "]"
    case let object as [String: Any]:
        let body = object.keys.sorted().map { quoted($0) + ":" + canonical(object[$0]!) }
        return "{" + body.joined(separator: ",") + "}"
    case let number as NSNumber:
        return number.stringValue  // hashed fields hold no numbers; kept for completeness
    default:
        return "null"
    }
}
