import Foundation
import JobControl

/// Turns any error into the one line (or few lines) jcrun prints and its
/// exit status: the single place where errors meet exit codes.
///
/// The exit codes follow DESIGN.md's table: 2 usage, definition and store
/// errors; 1 failures; 3 missing dependencies; 75 locks; 70 jcrun bugs.
enum ErrorReport {
    static let bugNote = "this is a jcrun bug; please report it"

    /// The message (without the `jcrun: error: ` prefix) and the exit status.
    static func describe(_ error: Error) -> (message: String, status: Int32) {
        switch error {
        case let error as CLIError: return describe(error)
        case let error as StoreError: return (String(describing: error), 2)
        default:
            return ("unexpected error: \(error); \(bugNote)", 70)
        }
    }

    private static func describe(_ error: CLIError) -> (String, Int32) {
        switch error {
        case .usage(let message): return (message, 2)
        case .unknownJob(let id, let suggestion):
            return ("unknown job '\(id)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""), 2)
        case .noSuchBuild(let what): return ("no build \(what)", 2)
        case .notAvailable(let command, let issue):
            return ("'\(command)' is not available yet in this build of jcrun (issue #\(issue))", 2)
        case .protectedNeedsConfirmation(let jobs):
            let names = jobs.map { "'\($0)'" }.joined(separator: ", ")
            return ("\(names) \(jobs.count == 1 ? "is" : "are") protected; confirm on a terminal, or pass --allow-protected or --yes", 2)
        case .notConfirmed: return ("not confirmed; nothing done", 2)
        case .failed(let message): return (message, 1)
        case .internalBug(let message): return ("\(message); \(bugNote)", 70)
        }
    }
}
