import Testing

@testable import jcrun

/// The parser, table-driven: argv in, parsed command or exact error text out.
struct ArgumentParserTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var argv: [String]
        var expected: ParseResult
        var testDescription: String { argv.joined(separator: " ") }
    }

    static let parsed: [Case] = [
        Case(
            argv: ["report"],
            expected: .run(Invocation(command: "build", isImplicit: true, positionals: ["report"]))),
        Case(
            argv: ["build", "list"],
            expected: .run(Invocation(command: "build", positionals: ["list"]))),
        Case(argv: ["list"], expected: .run(Invocation(command: "list"))),
        Case(
            argv: ["-j", "4", "report", "-k"],
            expected: .run(
                Invocation(
                    command: "build", isImplicit: true, positionals: ["report"],
                    flags: ["keep-going"], values: ["jobs": ["4"]]))),
        Case(
            argv: ["report", "-j4", "--no-deps"],
            expected: .run(
                Invocation(
                    command: "build", isImplicit: true, positionals: ["report"], flags: ["no-deps"],
                    values: ["jobs": ["4"]]))),
        Case(
            argv: ["build", "--jobs=2", "-kB", "a", "b"],
            expected: .run(
                Invocation(
                    command: "build", positionals: ["a", "b"], flags: ["keep-going", "always"],
                    values: ["jobs": ["2"]]))),
        Case(
            argv: ["-C", "/tmp", "list", "--json"],
            expected: .run(
                Invocation(command: "list", flags: ["json"], values: ["directory": ["/tmp"]]))),
        Case(
            argv: ["build", "--pin", "a=3", "--pin=b=#4", "c"],
            expected: .run(
                Invocation(command: "build", positionals: ["c"], values: ["pin": ["a=3", "b=#4"]]))),
        Case(
            argv: ["build", "--", "-odd", "list"],
            expected: .run(Invocation(command: "build", positionals: ["-odd", "list"]))),
        Case(
            argv: ["show-build", "#42", "--retval"],
            expected: .run(
                Invocation(command: "show-build", positionals: ["#42"], flags: ["retval"]))),
        Case(
            argv: ["--storage", "x.db", "builds", "--limit", "5"],
            expected: .run(
                Invocation(command: "builds", values: ["storage": ["x.db"], "limit": ["5"]]))),
        Case(argv: [], expected: .usage),
        Case(argv: ["-v"], expected: .usage),
        Case(argv: ["--help"], expected: .help(command: nil)),
        Case(argv: ["-h"], expected: .help(command: nil)),
        Case(argv: ["log", "--help"], expected: .help(command: "log")),
        Case(argv: ["help", "prune"], expected: .help(command: "prune")),
        Case(argv: ["--version"], expected: .version),
    ]

    @Test(arguments: parsed)
    func argumentsParse(_ test: Case) throws {
        #expect(try ArgumentParser.parse(test.argv) == test.expected)
    }

    static let errors: [(argv: [String], message: String)] = [
        (["report", "--nodeps"], "unknown option '--nodeps'; did you mean '--no-deps'?"),
        (["list", "--bogus"], "unknown option '--bogus'"),
        (["list", "-x"], "unknown option '-x'"),
        (["-nodeps", "x"], "unknown option '-o' in '-nodeps'; did you mean '--no-deps'?"),
        (["build", "-j"], "option '-j' needs a value (N)"),
        (["build", "x", "--junit"], "option '--junit' needs a value (FILE)"),
        (["build", "--keep-going=yes", "x"], "option '--keep-going' takes no value"),
        (["list", "extra"], "'jcrun list' takes no arguments, got 'extra'"),
        (["show"], "'jcrun show' needs JOB; see 'jcrun show --help'"),
        (["show", "a", "b"], "unexpected argument 'b'; usage: jcrun show JOB"),
        (["build"], "'jcrun build' needs JOB...; see 'jcrun build --help'"),
        (["help", "biuld"], "unknown command 'biuld'; did you mean 'build'?"),
        (["list", "--check"], "option '--check' is not an option of 'list'; it belongs to 'build-outdated'"),
        (
            ["--with-revdeps", "build-outdated"],
            "option '--with-revdeps' is not an option of 'build-outdated'; it belongs to 'build'"
        ),
        // A short option of another command is said as a long one is.
        (["build-outdated", "-B"], "option '-B' is not an option of 'build-outdated'; it belongs to 'build'"),
        (["build-outdated", "-qB"], "option '-B' in '-qB' is not an option of 'build-outdated'; it belongs to 'build'"),
        (["-Bk=1", "b"], "option '-k' in '-Bk=1' takes no value, got '1'"),
        (["-k=1", "b"], "option '-k' takes no value, got '1'"),
        // As GNU getopt, `-j=2` would be the value `=2`: refused, saying how to write it.
        (["b", "-j=2"], "option '-j' takes its value without '=': write '-j 2', '-j2' or '--jobs=2'"),
        (["b", "-kj="], "option '-j' takes its value without '=': write '-j N', '-jN' or '--jobs=N'"),
        (["lsit", "--colr=never"], "unknown option '--colr'; did you mean '--color'?"),
        (["build-outdated", "--chek"], "unknown option '--chek'; did you mean '--check'?"),
    ]

    @Test(arguments: errors)
    func mistakesGiveOneExactLine(_ argv: [String], _ message: String) {
        #expect(throws: CLIError.usage(message)) { try ArgumentParser.parse(argv) }
    }

    @Test func everyCommandHasHelpWithUsageAndExample() {
        for command in CommandCatalog.commands {
            let text = HelpText.command(command)
            #expect(text.hasPrefix("usage: jcrun \(command.name)"))
            #expect(text.contains("Examples:\n  "))
        }
    }

    @Test(arguments: [("30", 30), ("30s", 30), ("15m", 900), ("2h", 7200), ("7d", 604800)])
    func durationsParse(_ text: String, _ seconds: Int) {
        #expect(DurationText.parse(text) == seconds)
    }

    @Test(arguments: ["", "s", "-5m", "1.5h", "3w", "10 m", "99999999999999d"])
    func badDurationsAreRejected(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test func buildIdsAreAcceptedWithOrWithoutHash() {
        #expect(BuildIDText.parse("42") == 42)
        #expect(BuildIDText.parse("#42") == 42)
        #expect(BuildIDText.parse("#") == nil)
        #expect(BuildIDText.parse("0") == nil)
        #expect(BuildIDText.parse("x42") == nil)
    }
}
