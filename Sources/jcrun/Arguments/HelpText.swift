/// The text of `--help` for jcrun and each command, built from the catalog.
enum HelpText {
    static let version = "jcrun 0.1.0"

    /// What `jcrun` alone prints on stderr (exit 2).
    static let usage = """
        usage: jcrun JOB... [OPTIONS]
               jcrun COMMAND [ARGS...] [OPTIONS]
        Try 'jcrun --help' for the list of commands.

        """

    static func main() -> String {
        var text = """
            jcrun: build shell-script jobs in dependency order, and remember every build.

            usage: jcrun JOB... [OPTIONS]          (same as 'jcrun build JOB...')
                   jcrun COMMAND [ARGS...] [OPTIONS]

            Commands:

            """
        let width = CommandCatalog.commands.map(\.name.count).max() ?? 0
        for command in CommandCatalog.commands {
            text += "  " + pad(command.name, width) + "  " + command.summary + "\n"
        }
        text += "\nGlobal options:\n" + optionLines(CommandCatalog.global)
        text += """

            Examples:
              jcrun report                   build 'report' and whatever it needs
              jcrun build-outdated --quiet   from cron: silent unless something fails

            Output: on a terminal the build view redraws in place with cursor codes,
            with or without colour; when stderr is not a terminal, or TERM=dumb, jcrun
            prints plain lines with no escape codes at all (unless --color always).

            Run 'jcrun COMMAND --help' for a command's options.

            """
        return text
    }

    static func command(_ spec: CommandSpec) -> String {
        let arguments = spec.arguments.isEmpty ? "" : " " + spec.arguments
        var text = "usage: jcrun \(spec.name)\(arguments) [OPTIONS]\n\n\(spec.summary)\n"
        if !spec.options.isEmpty {
            text += "\nOptions:\n" + optionLines(spec.options)
        }
        text += "\nGlobal options:\n" + optionLines(CommandCatalog.global)
        if !spec.examples.isEmpty {
            text += "\nExamples:\n" + spec.examples.map { "  \($0)\n" }.joined()
        }
        return text
    }

    private static func optionLines(_ options: [OptionSpec]) -> String {
        let options = options.filter { !$0.hidden }
        let width = options.map(\.synopsis.count).max() ?? 0
        return options.map { "  " + pad($0.synopsis, width) + "  " + $0.help + "\n" }.joined()
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
