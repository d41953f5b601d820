import Foundation
import JobControl

/// Typed readers for option values, throwing the exact usage message.
extension Invocation {
    /// A whole number of at least `minimum`, or nil when not given.
    func integer(_ option: String, minimum: Int) throws -> Int? {
        guard let text = value(option) else { return nil }
        guard let number = Int(text), number >= minimum else {
            let kind = minimum > 0 ? "a positive whole number" : "a whole number"
            throw CLIError.usage("option '--\(option)' expects \(kind), got '\(text)'")
        }
        return number
    }

    /// A duration (`90`, `30s`, `15m`, `2h`, `7d`) in seconds, or nil.
    func duration(_ option: String) throws -> Seconds? {
        guard let text = value(option) else { return nil }
        guard let seconds = DurationText.parse(text) else {
            throw CLIError.usage(
                "option '--\(option)' expects a duration such as 30s, 15m, 2h or 7d, got '\(text)'")
        }
        return seconds
    }

    /// One of an enum's raw values, or nil.
    func choice<T: RawRepresentable & CaseIterable>(_ option: String, as type: T.Type) throws -> T?
    where T.RawValue == String {
        guard let text = value(option) else { return nil }
        guard let value = T(rawValue: text) else {
            let names = T.allCases.map(\.rawValue)
            throw CLIError.usage(
                "option '--\(option)' expects one of \(names.joined(separator: ", ")), got '\(text)'"
                    + Suggestion.clause(for: text, in: names))
        }
        return value
    }
}

/// Durations as job files and options write them (JOBS.md): a non-negative
/// whole number with one unit `s`, `m`, `h` or `d`, or bare seconds.
enum DurationText {
    static func parse(_ text: String) -> Seconds? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, let factor = units[last] {
            digits = digits.dropLast()
            unit = factor
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let number = Int(digits)
        else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: unit)
        guard !overflow, product <= 100 * 366 * 86400 else { return nil }
        return product
    }

    /// `2.1s`, `3m04s`, `1h02m`: short, for summaries and status lines.
    static func format(_ interval: TimeInterval) -> String {
        DurationFormat.short(interval)
    }
}

extension DurationText {
    /// A duration as options take it, in its largest exact unit: `30d`, `2h`, `90m`, `0s`.
    static func format(_ seconds: Seconds) -> String {
        let units: [(Character, Int)] = [("d", 86400), ("h", 3600), ("m", 60)]
        for (unit, size) in units where seconds > 0 && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}

/// `1 build`, `0 builds`: a count with its noun, plural unless one.
func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? noun : plural ?? noun + "s")
}

/// Build ids as users type them: `42` or `#42`.
enum BuildIDText {
    /// Whether `text` has the shape of a build id (`#` and/or digits only),
    /// even one no build can have (`0`, too many digits): never a job id.
    static func looksLikeBuildID(_ text: String) -> Bool {
        let digits = text.hasPrefix("#") ? text.dropFirst() : Substring(text)
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func parse(_ text: String) -> BuildID? {
        let digits = text.hasPrefix("#") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let id = BuildID(digits), id > 0
        else { return nil }
        return id
    }
}
