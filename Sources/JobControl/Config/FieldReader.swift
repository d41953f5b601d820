import Foundation
import YAMLNodes

/// Collects errors while files are decoded; shared by every reader of a load.
final class ErrorCollector {
    var errors = ConfigErrors()
    /// Secrets of `jcrun.yaml` that failed to load (already reported): jobs
    /// may still name them without a second, misleading "unknown secret".
    var brokenSecrets: [String] = []

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
        var result: [(key: String, keyNode: Node, value: Node)] = []
        result.reserveCapacity(pairs.count)
        for pair in pairs {
            guard case .scalar(let key, _) = pair.key.kind else {
                fail(
                    .wrongType(
                        field: field, expected: "a mapping with text keys",
                        found: "a \(describe(pair.key)) key", at: at(pair.key)))
                continue
            }
            result.append((key, pair.key, pair.value))
        }
        return result
    }

    /// Keys that are not in `known`, each reported with the closest known one.
    func checkKeys(
        _ pairs: [(key: String, keyNode: Node, value: Node)], known: [String], place: String
    ) {
        for pair in pairs where !known.contains(pair.key) {
            let suggestion = closestMatch(to: pair.key, among: known)
            fail(.unknownKey(pair.key, in: place, suggestion: suggestion, at: at(pair.keyNode)))
        }
    }

    /// A scalar as the text written; any tag other than `!!str` is refused.
    func text(_ node: Node, field: String) -> String? {
        guard case .scalar(let value, _) = node.kind else {
            fail(.wrongType(field: field, expected: "text", found: describe(node), at: at(node)))
            return nil
        }
        if let tag = node.tag, !tag.hasPrefix("tag:yaml.org,2002:") {
            fail(.tagNotAllowed(tag, field: field, at: at(node)))
            return nil
        }
        return value
    }

    /// A list of values read by `item`; a plain null reads as an empty list.
    func list<T>(_ node: Node, field: String, expected: String, item: (Node) -> T?) -> [T]? {
        if isNull(node) { return [] }
        guard case .sequence(let nodes) = node.kind else {
            fail(.wrongType(field: field, expected: expected, found: describe(node), at: at(node)))
            return nil
        }
        var values: [T] = []
        values.reserveCapacity(nodes.count)
        var ok = true
        for element in nodes {
            if let value = item(element) { values.append(value) } else { ok = false }
        }
        return ok ? values : nil
    }

    func bool(_ node: Node, field: String) -> Bool? {
        guard let value = text(node, field: field) else { return nil }
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
        guard let value = text(node, field: field) else { return nil }
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
        guard let value = text(node, field: field) else { return nil }
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

/// A plain `~`, `null` or nothing at all.
func isNull(_ node: Node) -> Bool {
    guard node.tag == nil, case .scalar(let text, .plain) = node.kind else { return false }
    return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
}
