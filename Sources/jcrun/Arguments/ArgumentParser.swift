/// Turns argv (without the program name) into a `ParseResult`.
///
/// Options may come before or after the command and its arguments, up to
/// `--`; `--opt=value`, `--opt value`, `-j4`, `-j 4` and flag clusters
/// (`-kB`) all work. A command name wins over a job id; any other first
/// argument is a job id for the implicit `build` command.
struct ArgumentParser {
    /// - Throws: `CLIError.usage` with the exact message to print.
    static func parse(_ arguments: [String]) throws -> ParseResult {
        // Find the command first: the option set depends on it.
        let (commandIndex, afterDashDash) = locateCommand(in: arguments)
        var rest = arguments
        var spec = CommandCatalog.command(named: "build")!
        var isImplicit = true
        if let commandIndex, !afterDashDash,
            let named = CommandCatalog.command(named: arguments[commandIndex])
        {
            spec = named
            isImplicit = false
            rest.remove(at: commandIndex)
        }

        var invocation = Invocation(command: spec.name, isImplicit: isImplicit)
        try readOptions(
            rest, options: CommandCatalog.global + spec.options, command: spec.name,
            into: &invocation)

        // Help and version win over everything else, but print text only:
        // `--json` with them is refused, as for any command without JSON.
        if invocation.has("json") {
            let text = invocation.has("help") ? "--help" : invocation.has("version") ? "--version" : nil
            if let text { throw CLIError.usage("'\(text)' has no JSON output; leave out '--json'") }
            if spec.name == "help" { throw CLIError.usage("'help' has no JSON output; leave out '--json'") }
        }
        if invocation.has("help") { return .help(command: isImplicit ? nil : spec.name) }
        if invocation.has("version") { return .version }
        if spec.name == "help" { return .help(command: try helpTopic(invocation.positionals)) }
        if isImplicit && invocation.positionals.isEmpty {
            // A wrong value (`--color=`, `--color list`, `-j abc`) is said before the usage.
            _ = try Context.colorChoice(invocation.value("color"))
            _ = try invocation.integer("jobs", minimum: 1)
            return .usage
        }
        try checkArgumentCount(invocation.positionals, for: spec)
        return .run(invocation)
    }

    /// The index of the first argument that is not an option or an option's
    /// value, and whether it came after `--`.
    private static func locateCommand(in arguments: [String]) -> (Int?, Bool) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { return (index + 1 < arguments.count ? index + 1 : nil, true) }
            if argument.hasPrefix("-") && argument.count > 1 {
                if takesSeparateValue(argument) { index += 1 }
            } else {
                return (index, false)
            }
            index += 1
        }
        return (nil, false)
    }

    /// Whether an option argument, as written, is followed by its value
    /// (any command's option of that name that takes a value counts).
    private static func takesSeparateValue(_ argument: String) -> Bool {
        let all = CommandCatalog.global + CommandCatalog.commands.flatMap(\.options)
        if argument.hasPrefix("--") {
            if argument.contains("=") { return false }
            let name = String(argument.dropFirst(2))
            return all.contains { $0.long == name && !$0.isFlag }
        }
        // A cluster: `-kj 4` takes a value when its last letter does.
        var letters = argument.dropFirst()
        while let letter = letters.first {
            guard let option = all.first(where: { $0.short == letter }) else { return false }
            if !option.isFlag { return letters.count == 1 }
            letters = letters.dropFirst()
        }
        return false
    }

    private static func readOptions(
        _ arguments: [String], options: [OptionSpec], command: String,
        into invocation: inout Invocation
    ) throws {
        var index = 0
        func nextValue(for name: String, _ option: OptionSpec) throws -> String {
            index += 1
            guard index < arguments.count else {
                throw CLIError.usage("option '\(name)' needs a value (\(option.valueName ?? ""))")
            }
            return arguments[index]
        }
        func record(_ option: OptionSpec, _ value: String?) {
            if let value {
                invocation.values[option.long, default: []].append(value)
            } else {
                invocation.flags.insert(option.long)
            }
        }

        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                invocation.positionals += arguments[(index + 1)...]
                return
            }
            if argument.hasPrefix("--") {
                // Long option, `--name` or `--name=value`.
                let body = argument.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let inline: String? =
                    body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                guard let option = options.first(where: { $0.long == name }) else {
                    let owners = CommandCatalog.commands.filter { spec in
                        spec.options.contains { $0.long == name && !$0.hidden }
                    }
                    if !owners.isEmpty {
                        let names = owners.map { "'\($0.name)'" }.joined(separator: ", ")
                        throw CLIError.usage(
                            "option '--\(name)' is not an option of '\(command)'; it belongs to \(names)")
                    }
                    let known = options.filter { !$0.hidden }.map { "--\($0.long)" }
                    throw CLIError.usage(
                        "unknown option '--\(name)'"
                            + Suggestion.clause(for: "--\(name)", in: known))
                }
                if option.isFlag {
                    if inline != nil { throw CLIError.usage("option '--\(name)' takes no value") }
                    record(option, nil)
                } else {
                    record(option, try inline ?? nextValue(for: "--\(name)", option))
                }
            } else if argument.hasPrefix("-") && argument.count > 1 {
                // Short options, possibly clustered: `-kB`, `-j4`.
                var letters = Substring(argument.dropFirst())
                var previous: Character?
                while let letter = letters.first {
                    letters = letters.dropFirst()
                    guard let option = options.first(where: { $0.short == letter }) else {
                        if letter == "=", let previous {
                            // `-k=1`, `-Bk=1`: a flag given a value.
                            let flag = "-\(previous)"
                            let within = argument.hasPrefix(flag + "=") ? "" : " in '\(argument)'"
                            throw CLIError.usage(
                                "option '\(flag)'\(within) takes no value, got '\(letters)'")
                        }
                        let owners = CommandCatalog.commands.filter { spec in
                            spec.options.contains { $0.short == letter && !$0.hidden }
                        }
                        let within = argument.count > 2 ? " in '\(argument)'" : ""
                        if !owners.isEmpty {
                            let names = owners.map { "'\($0.name)'" }.joined(separator: ", ")
                            throw CLIError.usage(
                                "option '-\(letter)'\(within) is not an option of '\(command)'; it belongs to \(names)")
                        }
                        let known =
                            options.compactMap { $0.short.map { "-\($0)" } }
                            + options.map { "--\($0.long)" }
                        let hint = Suggestion.clause(for: argument, in: known)
                        throw CLIError.usage("unknown option '-\(letter)'\(within)\(hint)")
                    }
                    previous = letter
                    if option.isFlag {
                        record(option, nil)
                    } else if letters.first == "=" {
                        // `-j=2`: as GNU getopt, jcrun would read the value `=2`.
                        throw CLIError.usage(shortWithEquals(option, value: letters.dropFirst()))
                    } else {
                        record(
                            option,
                            letters.isEmpty
                                ? try nextValue(for: "-\(letter)", option) : String(letters))
                        break
                    }
                }
            } else {
                invocation.positionals.append(argument)
            }
            index += 1
        }
    }

    /// `option '-j' takes its value without '=': write '-j 2', '-j2' or '--jobs=2'`.
    private static func shortWithEquals(_ option: OptionSpec, value: Substring) -> String {
        let short = "-\(option.short.map(String.init) ?? "")"
        let shown = value.isEmpty ? (option.valueName ?? "VALUE") : String(value)
        return
            "option '\(short)' takes its value without '=': write '\(short) \(shown)', '\(short)\(shown)' or '--\(option.long)=\(shown)'"
    }

    private static func helpTopic(_ positionals: [String]) throws -> String? {
        guard let topic = positionals.first else { return nil }
        guard CommandCatalog.command(named: topic) != nil else {
            let names = CommandCatalog.commands.map(\.name)
            throw CLIError.usage(
                "unknown command '\(topic)'" + Suggestion.clause(for: topic, in: names))
        }
        return topic
    }

    private static func checkArgumentCount(_ positionals: [String], for spec: CommandSpec) throws {
        if positionals.count < spec.minPositionals {
            throw CLIError.usage(
                "'jcrun \(spec.name)' needs \(spec.arguments); see 'jcrun \(spec.name) --help'")
        }
        if let max = spec.maxPositionals, positionals.count > max {
            let extra = positionals[max]
            if max == 0 {
                throw CLIError.usage("'jcrun \(spec.name)' takes no arguments, got '\(extra)'")
            }
            throw CLIError.usage(
                "unexpected argument '\(extra)'; usage: jcrun \(spec.name) \(spec.arguments)")
        }
    }
}
