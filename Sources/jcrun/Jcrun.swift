import Foundation
import JobControl

/// The command line: parses argv, runs one command, returns the exit status.
enum Jcrun {
    static func main(_ arguments: [String]) -> Int32 {
        let console = Console()
        do {
            switch try ArgumentParser.parse(arguments) {
            case .usage:
                console.error(HelpText.usage)
                return 2
            case .version:
                console.out(HelpText.version + "\n")
                return 0
            case .help(let command):
                console.out(
                    command.flatMap(CommandCatalog.command(named:)).map(HelpText.command)
                        ?? HelpText.main())
                return 0
            case .run(let invocation):
                let context = try Context(invocation: invocation, console: console)
                defer { context.closeStores() }
                return try CommandRunner.run(invocation, context: context)
            }
        } catch {
            let (text, status) = ErrorReport.describe(error)
            // A message may quote a job file's value or a name from the
            // command line: its control characters are shown, not obeyed.
            console.error(VisibleText.escapedLines(text))
            return status
        }
    }
}
