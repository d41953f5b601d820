import Foundation

/// What one line read from a directive stream means (docs/PROTOCOL.md).
public enum ParsedLine: Sendable, Hashable {
    /// Ordinary output, logged as printed; `escaped` when it began with `@@`
    /// and is logged without its first `@`.
    case output(escaped: Bool)
    /// A known directive that is malformed: the line is logged as output and
    /// `warning` (what was wrong) as a warning.
    case malformed(warning: String)
    case progress(ProgressUpdate)
    case retval(String)
    case skip(reason: String?)
    case log(level: LogLevel, message: String)
}

/// Reads protocol lines one at a time: `@progress`, `@retval`, `@skip`,
/// `@log`, the `@@` escape and `@stop-directives`/`@resume-directives`.
///
/// Pure apart from the stop/resume state it carries from line to line. It
/// works on bytes, so that a line is classified without building a String:
/// a line that does not start with `@` costs one comparison.
public struct ProtocolParser: Sendable {
    /// Set between `@stop-directives TOKEN` and `@resume-directives TOKEN`.
    public private(set) var stopToken: [UInt8]?

    public init() {}

    /// True while directives are stopped by `@stop-directives`.
    public var directivesStopped: Bool { stopToken != nil }

    /// Classifies `line` (without its newline).
    public mutating func parseLine(_ line: String) -> ParsedLine {
        var copy = line
        return copy.withUTF8 { parseLine($0) }
    }

    /// Classifies `line` (without its newline and trailing `\r`).
    public mutating func parseLine(_ line: UnsafeBufferPointer<UInt8>) -> ParsedLine {
        guard line.count >= 2, line[0] == Byte.at else { return .output(escaped: false) }
        if let token = stopToken {
            if case .resume = Self.directive(in: line),
                Self.trimmed(line, from: Directive.resume.wordEnd) == ArraySlice(token)
            {
                stopToken = nil
            }
            return .output(escaped: false)
        }
        if line[1] == Byte.at { return .output(escaped: true) }
        guard let directive = Self.directive(in: line) else { return .output(escaped: false) }
        let restStart = min(directive.wordEnd + 1, line.count)
        let rest = UnsafeBufferPointer(rebasing: line[restStart...])
        switch directive {
        case .progress: return Self.parseProgress(rest)
        case .retval: return Self.parseRetval(rest)
        case .skip:
            let reason = Self.trimmed(line, from: restStart)
            return .skip(reason: reason.isEmpty ? nil : String(decoding: reason, as: UTF8.self))
        case .log: return Self.parseLog(rest)
        case .stop:
            let token = Self.trimmed(line, from: restStart)
            if token.isEmpty || token.contains(Byte.space) {
                return .malformed(
                    warning: "malformed @stop-directives: expected one TOKEN word after it")
            }
            stopToken = Array(token)
            return .output(escaped: false)
        case .resume:
            return .malformed(warning: "malformed @resume-directives: directives are not stopped")
        }
    }

    /// A return value is text that reaches dependents' environments as it
    /// was printed: a NUL byte (an environment cuts the value there) or bytes
    /// that are not UTF-8 (the store would change them) set nothing.
    static func parseRetval(_ rest: UnsafeBufferPointer<UInt8>) -> ParsedLine {
        if rest.contains(0) {
            return .malformed(
                warning: "malformed @retval: a value cannot hold a NUL byte; nothing was set")
        }
        guard let value = String(validating: rest, as: UTF8.self) else {
            return .malformed(
                warning: "malformed @retval: the value is not UTF-8 text; nothing was set")
        }
        return .retval(value)
    }
}

/// The directive words, each followed by a space or the end of the line.
enum Directive: CaseIterable {
    case progress, retval, skip, log, stop, resume

    var word: String {
        switch self {
        case .progress: "progress"
        case .retval: "retval"
        case .skip: "skip"
        case .log: "log"
        case .stop: "stop-directives"
        case .resume: "resume-directives"
        }
    }

    /// Index just past the word in a line starting with `@`.
    var wordEnd: Int { word.utf8.count + 1 }

    static let words: [(Directive, [UInt8])] = allCases.map { ($0, Array($0.word.utf8)) }
}

/// Byte values the parser compares against.
enum Byte {
    static let at = UInt8(ascii: "@")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let slash = UInt8(ascii: "/")
    static let question = UInt8(ascii: "?")
    static let colon = UInt8(ascii: ":")
    static let dash = UInt8(ascii: "-")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let brace = UInt8(ascii: "{")
    static let newline = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")

    static func isSpace(_ byte: UInt8) -> Bool { byte == space || (byte >= 9 && byte <= 13) }

    /// Whether every byte is below 0x80, eight at a time.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        var high: UInt64 = 0
        while offset + 8 <= bytes.count {
            high |= raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < bytes.count {
            high |= UInt64(bytes[offset])
            offset += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }
}

extension ProtocolParser {
    /// The directive whose word follows the `@`, if any.
    static func directive(in line: UnsafeBufferPointer<UInt8>) -> Directive? {
        for (directive, word) in Directive.words {
            let end = word.count + 1
            guard line.count >= end, line.count == end || line[end] == Byte.space else { continue }
            if word.withUnsafeBufferPointer({
                memcmp($0.baseAddress!, line.baseAddress! + 1, word.count)
            })
                == 0
            {
                return directive
            }
        }
        return nil
    }

    /// `line[from...]` without leading and trailing white space.
    static func trimmed(_ line: UnsafeBufferPointer<UInt8>, from: Int) -> ArraySlice<UInt8> {
        var start = min(from, line.count)
        var end = line.count
        while start < end, Byte.isSpace(line[start]) { start += 1 }
        while end > start, Byte.isSpace(line[end - 1]) { end -= 1 }
        return ArraySlice(line[start..<end])
    }

    /// `@log LEVEL MESSAGE`: MESSAGE is everything after the level's space.
    static func parseLog(_ rest: UnsafeBufferPointer<UInt8>) -> ParsedLine {
        var end = 0
        while end < rest.count, rest[end] != Byte.space { end += 1 }
        let word = String(decoding: UnsafeBufferPointer(rebasing: rest[..<end]), as: UTF8.self)
        let levels = "debug, info, warning, error or critical"
        guard !word.isEmpty else {
            return .malformed(
                warning: "malformed @log: expected LEVEL MESSAGE, LEVEL one of \(levels)")
        }
        guard let level = LogLevel(rawValue: word) else {
            let hint = nearestLevel(to: word).map { "; did you mean '\($0.rawValue)'?" } ?? ""
            return .malformed(
                warning: "malformed @log: unknown level '\(word)', expected \(levels)\(hint)")
        }
        let messageStart = min(end + 1, rest.count)
        let message = UnsafeBufferPointer(rebasing: rest[messageStart...])
        return .log(level: level, message: String(decoding: message, as: UTF8.self))
    }

    /// A level the user probably meant: same letters in another case, a
    /// prefix (`warn`, `err`, `crit`), or one or two typos away.
    static func nearestLevel(to word: String) -> LogLevel? {
        let lower = word.lowercased()
        for level in LogLevel.allCases {
            if level.rawValue == lower || (lower.count >= 3 && level.rawValue.hasPrefix(lower)) {
                return level
            }
        }
        return LogLevel.allCases.first {
            editDistance(Array($0.rawValue.utf8), Array(lower.utf8)) <= 2
        }
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = current
        }
        return previous[b.count]
    }
}
