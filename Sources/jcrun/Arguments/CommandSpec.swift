/// One option a command accepts: its spellings, whether it takes a value,
/// and the line `--help` prints for it.
struct OptionSpec: Sendable {
    /// `-j`, or nil.
    var short: Character?
    /// `jobs` for `--jobs`; also the key the parsed value is stored under.
    var long: String
    /// `N`, `DIR`, ...; nil for a flag.
    var valueName: String?
    var help: String
    var repeatable: Bool = false
    /// Parsed but left out of `--help`, completions and docs (`--trigger`).
    var hidden: Bool = false

    var isFlag: Bool { valueName == nil }

    /// `-j, --jobs N` as `--help` shows it.
    var synopsis: String {
        var text = short.map { "-\($0), " } ?? "    "
        text += "--\(long)"
        if let valueName { text += " \(valueName)" }
        return text
    }
}

/// A subcommand: its name, what it does, its options and positional arguments.
struct CommandSpec: Sendable {
    var name: String
    /// `JOB...`, `[JOB]`, `ID|JOB`: shown in the usage line.
    var arguments: String
    /// One sentence for `--help` and the command list.
    var summary: String
    var options: [OptionSpec]
    var minPositionals: Int = 0
    /// nil: any number.
    var maxPositionals: Int? = 0
    var examples: [String] = []
}
