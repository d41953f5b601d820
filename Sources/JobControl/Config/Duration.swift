/// Durations as job files and `--since`/`--older-than` write them.
public enum Duration {
    /// The longest duration accepted: 100 years of 365 days.
    public static let maximum: Seconds = 100 * 365 * 86_400

    /// Reads `30m`, `2h`, `1d`, `10s` or bare seconds (`90`) as whole seconds.
    ///
    /// Only a non-negative whole number with at most one unit is accepted:
    /// `-1`, `1.5h`, `.inf`, `10 m` and anything over 100 years are refused.
    /// - Throws: `Duration.Problem` saying what is wrong.
    public static func seconds(from text: String) throws(Problem) -> Seconds {
        var digits = Substring(text)
        var unit: Seconds
        switch text.last {
        case "s": unit = 1
        case "m": unit = 60
        case "h": unit = 3_600
        case "d": unit = 86_400
        default: unit = 0
        }
        if unit == 0 { unit = 1 } else { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw .notADuration
        }
        guard let number = Int(digits), number <= maximum / unit else { throw .tooLong }
        return number * unit
    }

    /// Why a text is not a duration; `description` completes "invalid ... : ".
    public enum Problem: Error, Sendable, CustomStringConvertible {
        case notADuration, tooLong

        public var description: String {
            switch self {
            case .notADuration:
                "expected a whole number with one unit s, m, h or d (like 30m or 2h), or whole seconds"
            case .tooLong:
                "a duration may be at most 100 years"
            }
        }
    }
}
