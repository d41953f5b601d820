import Foundation
import YAMLNodes

/// Collects errors while files are decoded; shared by every reader of a load.
final class ErrorCollector {
    var errors = ConfigErrors()
    /// Secrets of `jcrun.yaml` that failed to load (already reported): jobs
    /// may still name them without a second, misleading "unknown secret".
    var brokenSecrets: [String] = []
    /// Jobs whose definition failed (already reported): a job needing one
    /// gets no second, misleading "which is not defined".
    var brokenJobs: Set<JobID> = []

    func add(_ error: ConfigError) { errors.append(error) }
}

/// Reads YAML nodes as the types job fields expect, reporting what is wrong
/// at the template position that wrote it.
///
/// Every scalar is taken as the text written (no YAML 1.1 booleans or octal):
/// only the field decides whether `10` is a number or `off` a mode.
struct FieldReader {
    let locator: SourceLocator
    let collector: ErrorCollector
    /// The settings file's name (`jcrun.yaml`) when reading it: a tag's hint
    /// then names where tags stand there, not a job's fields.
    var settingsFile: String? = nil

    func at(_ node: Node) -> SourceLocation { locator.location(node.mark) }

    /// `at(node)`, worked out only if a message shows it: for the places
    /// every job keeps (its id, each dependency).
    func deferredAt(_ node: Node) -> SourceLocation {
        let locator = locator, mark = node.mark
        return SourceLocation(deferred: { locator.location(mark) })
    }

    func fail(_ error: ConfigError) { collector.add(error) }

    /// The pairs of a mapping, each key as text; reports keys that are not
    /// text and a node that is not a mapping.
    func mapping(_ node: Node, field: String) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let pairs) = node.kind else {
            fail(
                .wrongType(field: field, expected: "a mapping", found: describe(node), at: at(node))
            )
            return nil
        }
        guard collectionTagFits(node) else { return nil }
        var result: [(key: String, keyNode: Node, value: Node)] = []
        result.reserveCapacity(pairs.count)
        for pair in pairs {
            guard case .scalar(let key, _) = pair.key.kind else {
                fail(.keyNotText(in: field, found: describe(pair.key), at: at(pair.key)))
                continue
            }
            if let tag = pair.key.tag, !Self.scalarTags.contains(tag) {
                fail(
                    .misplacedTag(
                        displayTag(tag), on: "a mapping key", suggestion: nil, at: at(pair.key),
                        settingsFile: settingsFile))
                continue
            }
            guard restatingTagFits(pair.key, key) else { continue }
            result.append((key, pair.key, pair.value))
        }
        return result
    }

    /// The standard YAML tags that only restate what a scalar is read as;
    /// any other tag on a scalar means something jcrun would not do.
    static let scalarTags: Set<String> = [
        "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null",
    ]

    /// False (and reported) when a scalar's `!!int`, `!!float`, `!!bool` or
    /// `!!null` does not restate `text` (`!!int 5x`).
    func restatingTagFits(_ node: Node, _ text: String) -> Bool {
        guard let tag = node.tag, let expected = RestatingTag.misfit(tag, text) else { return true }
        fail(.tagDoesNotFit(displayTag(tag), value: text, expected: expected, at: at(node)))
        return false
    }

    /// The tags of values from elsewhere, which stand only on a scalar.
    static let jcrunTags = ["!retval", "!secret", "!env"]

    /// False (and reported) when a list or mapping carries a tag other than
    /// `!!seq` or `!!map` restating its kind: the tag would be dropped.
    func collectionTagFits(_ node: Node) -> Bool {
        guard let tag = node.tag else { return true }
        switch node.kind {
        case .sequence where tag == "tag:yaml.org,2002:seq": return true
        case .mapping where tag == "tag:yaml.org,2002:map": return true
        default: break
        }
        let suggestion = Self.jcrunTags.contains(tag) ? nil : closestMatch(to: tag, among: Self.jcrunTags)
        fail(
            .misplacedTag(
                displayTag(tag), on: describe(node), suggestion: suggestion, at: at(node),
                settingsFile: settingsFile))
        return false
    }

    /// False (and reported) when `text` holds a NUL byte: a program's
    /// arguments and environment are C strings, cut at the first NUL.
    func noNUL(_ text: String, field: String, _ node: Node) -> Bool {
        guard text.utf8.contains(0) else { return true }
        fail(.nulByte(field: field, at: at(node)))
        return false
    }

    /// Keys that are not in `known`, each reported with the closest known
    /// one; returns those suggested, so a key misspelt is not also reported
    /// as missing (`comand` is not followed by "has no 'command'").
    @discardableResult
    func checkKeys(
        _ pairs: [(key: String, keyNode: Node, value: Node)], known: [String], place: String
    ) -> Set<String> {
        var suggested: Set<String> = []
        for pair in pairs where !known.contains(pair.key) {
            let suggestion = closestMatch(to: pair.key, among: known)
            if let suggestion { suggested.insert(suggestion) }
            fail(.unknownKey(pair.key, in: place, suggestion: suggestion, at: at(pair.keyNode)))
        }
        return suggested
    }

    /// A scalar as the text written; any tag other than `!!str` is refused.
    /// `expected` names what the field takes, for a list or mapping given instead.
    func text(_ node: Node, field: String, expected: String = "text") -> String? {
        guard case .scalar(let value, _) = node.kind else {
            fail(.wrongType(field: field, expected: expected, found: describe(node), at: at(node)))
            return nil
        }
        if let tag = node.tag, !Self.scalarTags.contains(tag) {
            fail(.tagNotAllowed(displayTag(tag), field: field, at: at(node)))
            return nil
        }
        guard restatingTagFits(node, value) else { return nil }
        return value
    }

    /// A list of values read by `item`; a plain null reads as an empty list.
    func list<T>(_ node: Node, field: String, expected: String, item: (Node) -> T?) -> [T]? {
        if isNull(node) { return [] }
        guard case .sequence(let nodes) = node.kind else {
            fail(.wrongType(field: field, expected: expected, found: describe(node), at: at(node)))
            return nil
        }
        guard collectionTagFits(node) else { return nil }
        var values: [T] = []
        values.reserveCapacity(nodes.count)
        var ok = true
        for element in nodes {
            if let value = item(element) { values.append(value) } else { ok = false }
        }
        return ok ? values : nil
    }

    func bool(_ node: Node, field: String) -> Bool? {
        guard let value = text(node, field: field, expected: "true or false") else { return nil }
        switch value {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            fail(
                .invalidValue(
                    field: field, value: value, problem: "expected true or false", at: at(node)))
            return nil
        }
    }

    /// A whole number in `range`, written in decimal digits.
    func integer(_ node: Node, field: String, range: ClosedRange<Int>) -> Int? {
        let expected = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        guard let value = text(node, field: field, expected: expected) else { return nil }
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let number = Int(value),
            range.contains(number)
        else {
            let problem = "expected a whole number from \(range.lowerBound) to \(range.upperBound)"
            fail(.invalidValue(field: field, value: value, problem: problem, at: at(node)))
            return nil
        }
        return number
    }

    /// A duration (`30m`, `2h`, `90`); `positive` refuses 0.
    func duration(_ node: Node, field: String, positive: Bool = false) -> Seconds? {
        let expected = "a duration such as 10m (a whole number and s, m, h or d)"
        guard let value = text(node, field: field, expected: expected) else { return nil }
        do {
            let seconds = try Duration.seconds(from: value)
            if positive && seconds == 0 {
                let problem = "must be above 0; leave '\(field)' out for no limit"
                fail(.invalidValue(field: field, value: value, problem: problem, at: at(node)))
                return nil
            }
            return seconds
        } catch {
            fail(
                .invalidValue(field: field, value: value, problem: error.description, at: at(node)))
            return nil
        }
    }

    /// What a node is, for "must be X, not Y".
    func describe(_ node: Node) -> String {
        switch node.kind {
        case .scalar: return "text"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// `tag:yaml.org,2002:str` as written, `!!str`; other tags as they are.
func displayTag(_ tag: String) -> String {
    let prefix = "tag:yaml.org,2002:"
    return tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
}

/// A plain `~`, `null` or nothing at all.
func isNull(_ node: Node) -> Bool {
    guard node.tag == nil, case .scalar(let text, .plain) = node.kind else { return false }
    return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
}
