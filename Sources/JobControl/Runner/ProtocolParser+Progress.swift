import CSpawn
import Foundation

extension ProtocolParser {
    /// `CURRENT/TOTAL [GROUP [:: SUBGROUP ...]] [-- STATUS]` or the JSON form.
    static func parseProgress(_ rest: UnsafeBufferPointer<UInt8>) -> ParsedLine {
        var start = 0
        while start < rest.count, rest[start] == Byte.space { start += 1 }
        if start < rest.count, rest[start] == Byte.brace {
            return parseProgressJSON(UnsafeBufferPointer(rebasing: rest[start...]))
        }

        // The figures: one word, digits '/' digits or '?'.
        var end = start
        while end < rest.count, rest[end] != Byte.space { end += 1 }
        let figures = UnsafeBufferPointer(rebasing: rest[start..<end])
        let current: Int
        let total: Int?
        switch parseFigures(figures) {
        case .success(let parsed): (current, total) = parsed
        case .failure(let problem): return .malformed(warning: "malformed @progress: \(problem)")
        }

        // The group path, then the status after the first " -- ".
        let tail = UnsafeBufferPointer(rebasing: rest[end...])
        let statusAt = firstIndex(of: statusSeparator, in: tail)
        var groupEnd = statusAt ?? tail.count
        var status: String?
        if let statusAt {
            let text = trimmed(tail, from: statusAt + statusSeparator.count)
            if !text.isEmpty { status = String(decoding: text, as: UTF8.self) }
        } else {
            // A trailing ` --` is a separator with an empty status: no status.
            var last = tail.count
            while last > 0, tail[last - 1] == Byte.space { last -= 1 }
            if last >= 3, tail[last - 1] == Byte.dash, tail[last - 2] == Byte.dash,
                tail[last - 3] == Byte.space
            {
                groupEnd = last - 3
            }
        }
        let groupPart = UnsafeBufferPointer(rebasing: tail[..<groupEnd])
        switch parseGroup(groupPart) {
        case .success(let group):
            return .progress(
                ProgressUpdate(group: group, current: current, total: total, status: status))
        case .failure(let problem):
            return .malformed(warning: "malformed @progress: \(problem)")
        }
    }

    static let statusSeparator: [UInt8] = Array(" -- ".utf8)
    static let groupSeparator: [UInt8] = Array("::".utf8)

    /// Why a progress line was rejected, worded for the warning.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// `3/10` or `7/?`.
    static func parseFigures(_ word: UnsafeBufferPointer<UInt8>) -> Result<(Int, Int?), Problem> {
        let text = String(decoding: word, as: UTF8.self)
        let expected = Problem(
            description: word.isEmpty
                ? "expected CURRENT/TOTAL such as 3/10 or 7/?"
                : "expected CURRENT/TOTAL such as 3/10 or 7/?, got '\(text)'")
        guard let slash = word.firstIndex(of: Byte.slash) else { return .failure(expected) }
        let currentDigits = UnsafeBufferPointer(rebasing: word[..<slash])
        let totalDigits = UnsafeBufferPointer(rebasing: word[(slash + 1)...])
        guard let current = parseNumber(currentDigits) else { return .failure(expected) }
        if totalDigits.count == 1, totalDigits[0] == Byte.question {
            return current < 0 ? .failure(tooLarge(text)) : .success((current, nil))
        }
        guard let total = parseNumber(totalDigits) else { return .failure(expected) }
        if current < 0 || total < 0 { return .failure(tooLarge(text)) }
        return .success((current, total))
    }

    static func tooLarge(_ text: String) -> Problem {
        Problem(description: "number too large in '\(text)'")
    }

    /// Decimal digits only; -1 when they overflow, nil when not digits.
    static func parseNumber(_ digits: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        var overflow = false
        for byte in digits {
            guard byte >= Byte.zero, byte <= Byte.nine else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int(byte - Byte.zero))
            overflow = overflow || o1 || o2
            value = sum
        }
        return overflow ? -1 : value
    }

    /// The most levels a progress group path may have. Each level is a node
    /// of the tree and a line of its rendering, so a deeper path (a line of
    /// `a :: a :: ...`) would make the tree, and what shows it, grow with the
    /// square of its length.
    static let maximumGroupDepth = 32

    static var tooDeep: Problem {
        Problem(description: "group path has more than \(maximumGroupDepth) levels")
    }

    /// Names separated by `::`, each trimmed; all blank means the top level.
    static func parseGroup(_ text: UnsafeBufferPointer<UInt8>) -> Result<[String], Problem> {
        let whole = trimmed(text, from: 0)
        if whole.isEmpty { return .success([]) }
        var names: [String] = []
        var from = 0
        while true {
            let rest = UnsafeBufferPointer(rebasing: text[from...])
            let cut = firstIndex(of: groupSeparator, in: rest).map { $0 + from } ?? text.count
            let name = trimmed(UnsafeBufferPointer(rebasing: text[..<cut]), from: from)
            if name.isEmpty {
                let shown = String(decoding: whole, as: UTF8.self)
                return .failure(Problem(description: "empty group name in '\(shown)'"))
            }
            names.append(String(decoding: name, as: UTF8.self))
            if cut == text.count { return .success(names) }
            if names.count == maximumGroupDepth { return .failure(tooDeep) }
            from = cut + groupSeparator.count
        }
    }

    /// Where `needle` first occurs in `haystack`.
    static func firstIndex(of needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>) -> Int? {
        guard haystack.count >= needle.count, let base = haystack.baseAddress else { return nil }
        let found = needle.withUnsafeBytes { n in
            jc_memmem(base, haystack.count, n.baseAddress!, needle.count)
        }
        guard let found else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// `{"group": [...], "current": 3, "total": 10, "status": "x"}`; `total`
    /// may be `"?"`, `null` or left out for a total not known yet.
    static func parseProgressJSON(_ text: UnsafeBufferPointer<UInt8>) -> ParsedLine {
        do {
            let json = try JSONDecoder().decode(JSONProgress.self, from: Data(buffer: text))
            if let group = json.group, group.count > maximumGroupDepth {
                return .malformed(warning: "malformed @progress: \(tooDeep)")
            }
            // As in the text form, a node needs a name.
            if let group = json.group,
                group.contains(where: { $0.allSatisfy { $0 == " " || $0 == "\t" } })
            {
                return .malformed(warning: "malformed @progress: empty group name in 'group'")
            }
            let update = ProgressUpdate(
                group: json.group ?? [], current: json.current, total: json.total,
                status: json.status)
            return .progress(update)
        } catch let problem as Problem {
            return .malformed(warning: "malformed @progress: \(problem)")
        } catch DecodingError.keyNotFound(let key, _) {
            return .malformed(warning: "malformed @progress: JSON form needs '\(key.stringValue)'")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(
            _, let context),
            DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty
        {
            let key = context.codingPath.first?.stringValue ?? "value"
            return .malformed(
                warning: "malformed @progress: '\(key)' must be \(expectedType(key))")
        } catch {
            return .malformed(warning: "malformed @progress: not valid JSON")
        }
    }

    static func expectedType(_ key: String) -> String {
        switch key {
        case "group": "an array of strings"
        case "current": "a non-negative integer"
        case "total": "a non-negative integer or \"?\""
        case "status": "a string"
        default: "see PROTOCOL.md"
        }
    }
}

/// The JSON form of `@progress`.
private struct JSONProgress: Decodable {
    var group: [String]?
    var current: Int
    var total: Int?
    var status: String?

    enum CodingKeys: String, CodingKey {
        case group, current, total, status
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        group = try container.decodeIfPresent([String].self, forKey: .group)
        status = try container.decodeIfPresent(String.self, forKey: .status)
        guard container.contains(.current) else {
            throw ProtocolParser.Problem(description: "JSON form needs 'current'")
        }
        guard let current = try Self.figure(container, .current, unknownAllowed: false) else {
            throw ProtocolParser.Problem(description: "'current' must be a non-negative integer")
        }
        self.current = current
        total =
            container.contains(.total)
            ? try Self.figure(container, .total, unknownAllowed: true) : nil
    }

    /// A non-negative integer, or nil for `"?"` and `null` when allowed.
    static func figure(
        _ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, unknownAllowed: Bool
    ) throws -> Int? {
        let expected = unknownAllowed ? "a non-negative integer or \"?\"" : "a non-negative integer"
        let wrong = ProtocolParser.Problem(description: "'\(key.rawValue)' must be \(expected)")
        if unknownAllowed, try container.decodeNil(forKey: key) { return nil }
        if let number = try? container.decode(Int.self, forKey: key) {
            if number < 0 {
                throw ProtocolParser.Problem(description: "'\(key.rawValue)' must not be negative")
            }
            return number
        }
        if unknownAllowed, (try? container.decode(String.self, forKey: key)) == "?" { return nil }
        throw wrong
    }
}
