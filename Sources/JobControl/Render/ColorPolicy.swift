import Foundation

/// `--color auto|always|never`.
public enum ColorChoice: String, Sendable, CaseIterable {
    case auto, always, never
}

/// Decides whether output gets colour and escape codes.
///
/// `always` and `never` win; otherwise colour needs a terminal, and
/// `NO_COLOR` with a value (no-color.org: an empty one does not count) or
/// `TERM=dumb` turns it off.
public enum ColorPolicy {
    public static func useColor(
        _ choice: ColorChoice, isTerminal: Bool, environment: [String: String]
    ) -> Bool {
        switch choice {
        case .always: return true
        case .never: return false
        case .auto:
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
            if environment["TERM"] == "dumb" { return false }
            return isTerminal
        }
    }

    /// Whether the live view may redraw in place: a terminal that is not dumb.
    public static func canRedraw(isTerminal: Bool, environment: [String: String]) -> Bool {
        isTerminal && environment["TERM"] != "dumb"
    }
}

/// ANSI styling that is a no-op when colour is off.
public struct Palette: Sendable {
    public var enabled: Bool

    public init(enabled: Bool) { self.enabled = enabled }

    public func red(_ text: String) -> String { wrap(text, "31") }
    public func green(_ text: String) -> String { wrap(text, "32") }
    public func yellow(_ text: String) -> String { wrap(text, "33") }
    public func blue(_ text: String) -> String { wrap(text, "34") }
    public func cyan(_ text: String) -> String { wrap(text, "36") }
    public func bold(_ text: String) -> String { wrap(text, "1") }
    public func dim(_ text: String) -> String { wrap(text, "2") }

    /// The colour a status word is drawn in.
    public func status(_ word: String) -> String {
        switch word {
        case "successful", "up to date": return green(word)
        case "failed": return red(word)
        case "running", "queued": return cyan(word)
        case "skipped", "outdated": return yellow(word)
        case "not built": return dim(word)
        default: return word
        }
    }

    private func wrap(_ text: String, _ code: String) -> String {
        enabled && !text.isEmpty ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
