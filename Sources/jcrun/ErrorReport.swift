import Foundation
import JobControl

/// Turns any error into what jcrun prints on stderr and its exit status:
/// the single place where errors meet exit codes.
///
/// The codes follow DESIGN.md's table: 2 usage, definition and store
/// errors; 1 failures; 70 jcrun bugs. Run outcomes (1, 3, 75, signals) come
/// from `RunSummary.exitStatus`.
enum ErrorReport {
    static let bugNote = "this is a jcrun bug; please report it"

    /// The complete stderr text (every line prefixed) and the exit status.
    static func describe(_ error: Error) -> (text: String, status: Int32) {
        switch error {
        case let error as CLIError:
            let (message, status) = describe(error)
            return (line(message), status)
        case let errors as ConfigErrors:
            return (errors.formatted().map { $0 + "\n" }.joined(), 2)
        case let error as ConfigError:
            if case .internalError = error { return (line("\(error.message); \(bugNote)"), 70) }
            return (error.lines.map { $0 + "\n" }.joined(), 2)
        case let error as StoreError: return (line(error.description), 2)
        case let error as PlanError: return (line(error.description), 2)
        case let error as SchedulerError: return (line(error.description), 2)
        default:
            return (line("unexpected error: \(error); \(bugNote)"), 70)
        }
    }

    private static func line(_ message: String) -> String { "jcrun: error: \(message)\n" }

    /// What the system said went wrong, as a lowercase phrase ("no such file
    /// or directory") rather than Foundation's capitalised sentence.
    static func reason(_ error: Error) -> String { SystemErrorText.of(error) }

    private static func describe(_ error: CLIError) -> (String, Int32) {
        switch error {
        case .usage(let message): return (message, 2)
        case .unknownJob(let id, let suggestion):
            return ("unknown job '\(id)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""), 2)
        case .buildIDAsJob(let text, let building):
            if building {
                return ("'\(text)' is a build id; jcrun builds jobs by id (see 'jcrun builds')", 2)
            }
            return ("'\(text)' is a build id, not a job id (see 'jcrun show-build \(text)')", 2)
        case .noSuchBuild(let what):
            return ("no build \(what); 'jcrun builds' lists the stored builds", 2)
        case .notAvailable(let command, let issue):
            return ("'\(command)' is not available yet in this build of jcrun (issue #\(issue))", 2)
        case .protectedNeedsConfirmation(let jobs):
            let names = jobs.map { "'\($0)'" }.joined(separator: ", ")
            return (
                "\(names) \(jobs.count == 1 ? "is" : "are") protected; confirm on a terminal, or pass --allow-protected or --yes",
                2
            )
        case .notConfirmed: return ("not confirmed; nothing done", 2)
        case .failed(let message): return (message, 1)
        case .interrupted(let signal):
            return ("interrupted by \(SignalName.of(signal))", SignalForwarder.exitStatus(for: signal))
        case .internalBug(let message): return ("\(message); \(bugNote)", 70)
        case .system(let message): return (message, 70)
        }
    }
}
