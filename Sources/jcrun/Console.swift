import Foundation
import JobControl

/// jcrun's two output streams: results on stdout, everything else on stderr.
final class Console: Sendable {
    let stdout: FileDescriptorOutput = .standardOutput
    let stderr: FileDescriptorOutput = .standardError

    func out(_ text: String) { stdout.write(text) }
    func error(_ text: String) { stderr.write(text) }

    /// Whether stdin and stderr are a terminal a question can be asked on.
    var canAsk: Bool { isatty(0) == 1 && stderr.isTerminal }

    /// Prints `prompt` on stderr and reads one line from stdin (nil at end of input).
    func ask(_ prompt: String) -> String? {
        error(prompt)
        return readLine(strippingNewline: true)
    }
}
