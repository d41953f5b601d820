import Foundation
import JobControl

/// The command line: parses argv, runs one command, returns the exit status.
enum Jcrun {
    /// Exit status when what jcrun wrote to stdout was lost (EX_IOERR).
    static let outputLostStatus: Int32 = 74

    /// `raw`: the arguments' bytes, for showing their newlines, tabs and
    /// invalid UTF-8 in messages (`ArgumentEscaping`); nil: `arguments`.
    static func main(_ arguments: [String], raw: [[UInt8]]? = nil) -> Int32 {
        let console = Console()
        if let refusal = StandardStreams.check() {
            console.error(refusal)
            return outputLostStatus
        }
        let escaping = ArgumentEscaping(raw: raw ?? arguments.map { Array($0.utf8) })
        let status = run(arguments, console: console, escaping: escaping)
        return finish(status, console: console)
    }

    /// A write to stdout that failed (`>/dev/full`) is said on stderr and
    /// turns the exit status into 74; a signal's status or a bug's 70 stays.
    static func finish(_ status: Int32, console: Console) -> Int32 {
        guard let code = console.stdout.writeError else { return status }
        let reason = SystemErrorText.of(code: code)
        console.error("jcrun: error: cannot write to standard output: \(reason)\n")
        return status > 128 || status == 70 ? status : outputLostStatus
    }

    private static func run(
        _ arguments: [String], console: Console, escaping: ArgumentEscaping
    ) -> Int32 {
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
                StoreNotice.setHandler { console.error("jcrun: \($0)\n") }
                let context = try Context(invocation: invocation, console: console)
                defer { context.closeStores() }
                return try CommandRunner.run(invocation, context: context)
            }
        } catch {
            let (text, status) = ErrorReport.describe(error)
            // A message may quote a job file's value or a name from the
            // command line: its control characters are shown, not obeyed.
            console.error(VisibleText.escapedMessage(escaping.apply(text)))
            return status
        }
    }
}
