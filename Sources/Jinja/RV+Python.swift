/// Python's meaning of the operations templates apply to values.
extension RV {
    /// Python's `bool(x)`; an undefined value is an error.
    func truthy() throws -> Bool {
        switch self {
        case .undefined(let u):
            if u.lenient { return false }
            throw u.error
        case .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let items), .tuple(let items): return !items.isEmpty
        case .dict(let d): return d.count > 0
        case .macro, .function, .loop, .namespace, .group: return true
        }
    }

    /// Python's `str(x)`; an undefined value is an error.
    func str() throws -> String {
        switch self {
        case .string(let s): return s
        case .undefined(let u):
            if u.lenient { return "" }
            throw u.error
        case .int(let i): return String(i)
        default: return try repr()
        }
    }

    /// Python's `repr(x)`.
    ///
    /// - Throws: `SizeLimit.Exceeded` when the text passes the size limit
    ///   (nested lists can share items, so a small value can have a huge repr).
    func repr() throws -> String {
        var text = ""
        try appendRepr(to: &text, limit: SizeLimit.maximumBytes)
        return text
    }

    private func appendRepr(to text: inout String, limit: Int) throws {
        switch self {
        case .undefined(let u): throw u.error
        case .none: text += "None"
        case .bool(let b): text += b ? "True" : "False"
        case .int(let i): text += String(i)
        case .double(let d): text += pythonFloat(d)
        case .string(let s): text += pythonRepr(s)
        case .list(let items):
            text += "["
            try RV.appendItems(items, to: &text, limit: limit)
            text += "]"
        case .group(let group):
            try RV.tuple(group.items).appendRepr(to: &text, limit: limit)
        case .tuple(let items):
            text += "("
            try RV.appendItems(items, to: &text, limit: limit)
            text += items.count == 1 ? ",)" : ")"
        case .dict(let d):
            text += "{"
            var first = true
            for (key, value) in d.items {
                if !first { text += ", " }
                first = false
                try key.value.appendRepr(to: &text, limit: limit)
                text += ": "
                try value.appendRepr(to: &text, limit: limit)
                try SizeLimit.check(bytes: text.utf8.count, what: "text", limit: limit)
            }
            text += "}"
        case .macro(let m): text += "<Macro '\(m.definition.name)'>"
        case .function(let f): text += "<built-in function \(f.name)>"
        case .loop: text += "<LoopContext>"
        case .namespace(let namespace):
            text += "<Namespace "
            var first = true
            for (key, value) in namespace.values.items {
                if !first { text += ", " }
                first = false
                text += try key.value.str() + "="
                try value.appendRepr(to: &text, limit: limit)
                try SizeLimit.check(bytes: text.utf8.count, what: "text", limit: limit)
            }
            text += ">"
        }
    }

    private static func appendItems(_ items: [RV], to text: inout String, limit: Int) throws {
        for (index, item) in items.enumerated() {
            if index > 0 { text += ", " }
            try item.appendRepr(to: &text, limit: limit)
            try SizeLimit.check(bytes: text.utf8.count, what: "text", limit: limit)
        }
    }

    /// The items of a list, tuple, dict (its keys) or string (its characters).
    func iterate() throws -> [RV]? {
        switch self {
        case .list(let items), .tuple(let items): return items
        case .group(let group): return group.items
        case .dict(let d): return d.keys.map(\.value)
        case .string(let s): return s.map { .string(String($0)) }
        case .undefined(let u):
            if u.lenient { return [] }
            throw u.error
        default: return nil
        }
    }

    var dictKey: DictKey? {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e18 ? .int(Int(d)) : .double(d)
        case .bool(let b): return .bool(b)
        case .none: return DictKey.none
        default: return nil
        }
    }

    /// A number as a Double, for mixed arithmetic and comparison.
    var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Python's `==`; comparing an undefined value is an error.
    func equals(_ other: RV) throws -> Bool {
        switch (plainTuple, other.plainTuple) {
        case (.undefined(let a), .undefined(let b)) where a.lenient && b.lenient: return true
        case (.undefined(let u), _), (_, .undefined(let u)):
            if u.lenient { return false }
            throw u.error
        case (.none, .none): return true
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.int(let a), .int(let b)): return a == b
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where try !x.equals(y) { return false }
            return true
        case (.dict(let a), .dict(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a.items {
                guard let otherValue = b[key], try value.equals(otherValue) else { return false }
            }
            return true
        case (.macro(let a), .macro(let b)): return a === b
        default:
            if let a = number, let b = other.number { return a == b }
            return false
        }
    }

    /// Python's ordering for `<`, `sort`, `min` and `max`; nil when the types do not order.
    func compare(_ other: RV) throws -> Int? {
        switch (plainTuple, other.plainTuple) {
        case (.undefined(let u), _), (_, .undefined(let u)): throw u.error
        case (.int(let a), .int(let b)): return a < b ? -1 : (a == b ? 0 : 1)
        case (.string(let a), .string(let b)):
            if a == b { return 0 }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : 1
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) {
                guard let order = try x.compare(y) else { return nil }
                if order != 0 { return order }
            }
            return a.count < b.count ? -1 : (a.count == b.count ? 0 : 1)
        default:
            guard let a = number, let b = other.number else { return nil }
            return a < b ? -1 : (a == b ? 0 : 1)
        }
    }
}

/// Python's `repr` of a string: single quotes unless the text holds only single quotes.
func pythonRepr(_ s: String) -> String {
    let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    var result = String(quote)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if Character(scalar) == quote {
                result += "\\" + String(quote)
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\x" + hex(scalar.value, width: 2)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    result.append(quote)
    return result
}

func hex(_ value: UInt32, width: Int) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// Python's `repr(float)`: shortest round-trip digits, fixed notation for
/// exponents -4 through 15, scientific (`1e+16`, `1e-05`) otherwise.
func pythonFloat(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
    // Split Swift's shortest representation into digits and a decimal exponent.
    var text = d.description
    var negative = false
    if text.hasPrefix("-") {
        negative = true
        text.removeFirst()
    }
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(text[text.index(after: e)...]) ?? 0
        text = String(text[..<e])
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let whole = String(parts[0])
    let fraction = parts.count > 1 ? String(parts[1]) : ""
    var digits = whole + fraction
    var pointPosition = whole.count + exponent
    while digits.hasPrefix("0") && digits.count > 1 {
        digits.removeFirst()
        pointPosition -= 1
    }
    while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
    // Python's decimal exponent of the first digit.
    let exp10 = pointPosition - 1
    var result: String
    if exp10 >= -4 && exp10 < 16 {
        if pointPosition <= 0 {
            result = "0." + String(repeating: "0", count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            result = digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
        } else {
            let index = digits.index(digits.startIndex, offsetBy: pointPosition)
            result = digits[..<index] + "." + digits[index...]
        }
    } else {
        var mantissa = String(digits.first!)
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let sign = exp10 < 0 ? "-" : "+"
        let magnitude = String(abs(exp10))
        result = mantissa + "e" + sign + (magnitude.count < 2 ? "0" + magnitude : magnitude)
    }
    return negative ? "-" + result : result
}
