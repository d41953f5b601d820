/// A parsed command line: which command, its options and its arguments.
struct Invocation: Sendable, Equatable {
    var command: String
    /// True when no command was named (`jcrun JOB...` means `jcrun build JOB...`).
    var isImplicit: Bool = false
    var positionals: [String] = []
    /// Flags given, by long name.
    var flags: Set<String> = []
    /// Option values given, by long name, in the order written.
    var values: [String: [String]] = [:]

    func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// The last value given for an option.
    func value(_ option: String) -> String? { values[option]?.last }

    func allValues(_ option: String) -> [String] { values[option] ?? [] }
}

/// What the parser found: a command to run, or a request for help or the version.
enum ParseResult: Sendable, Equatable {
    case run(Invocation)
    /// `--help` or `help`: help for one command, or for jcrun when nil.
    case help(command: String?)
    case version
    /// `jcrun` alone: usage on stderr, exit 2.
    case usage
}
