/// Jinja's `tojson`: Python's `json.dumps(sort_keys=True)` with ASCII
/// escapes, then `<`, `>`, `&` and `'` escaped for HTML as `\u003c` etc.
enum JSON {
    static func encode(_ value: RV, indent: Int?, error: (String, String?) -> TemplateError) throws
        -> String
    {
        var out = ""
        try write(
            value, to: &out, indent: indent, level: 0, limit: SizeLimit.maximumBytes,
            error: { error($0, nil) })
        return out
    }

    private static func write(
        _ value: RV, to out: inout String, indent: Int?, level: Int, limit: Int,
        error: (String) -> TemplateError
    ) throws {
        switch value {
        case .undefined(let u): throw u.error
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isNaN {
                out += "NaN"
            } else if d.isInfinite {
                out += d < 0 ? "-Infinity" : "Infinity"
            } else {
                out += pythonFloat(d)
            }
        case .string(let s): writeString(s, to: &out)
        case .group(let group):
            try write(
                .tuple(group.items), to: &out, indent: indent, level: level, limit: limit,
                error: error)
        case .list(let items), .tuple(let items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "["
            for (index, item) in items.enumerated() {
                out += separator(first: index == 0, indent: indent, level: level + 1)
                try write(
                    item, to: &out, indent: indent, level: level + 1, limit: limit, error: error)
                try SizeLimit.check(bytes: out.utf8.count, what: "JSON text", limit: limit)
            }
            out += closing(indent: indent, level: level) + "]"
        case .dict(let dict):
            guard dict.count > 0 else {
                out += "{}"
                return
            }
            let sameTypes = dict.keys.allSatisfy { key in
                if case .string = key { if case .string = dict.keys[0] { return true } }
                if case .string = dict.keys[0] { return false }
                if case .string = key { return false }
                return true
            }
            guard sameTypes else { throw error("tojson cannot sort keys of mixed types") }
            var sorted: [(DictKey, RV)] = []
            for pair in dict.items {
                let index = try sorted.firstIndex {
                    try ($0.0.value.compare(pair.0.value) ?? 0) > 0
                }
                sorted.insert(pair, at: index ?? sorted.count)
            }
            let entries = try sorted.map { (try keyText($0.0, error: error), $0.1) }
            out += "{"
            for (index, (key, item)) in entries.enumerated() {
                out += separator(first: index == 0, indent: indent, level: level + 1)
                writeString(key, to: &out)
                out += ": "
                try write(
                    item, to: &out, indent: indent, level: level + 1, limit: limit, error: error)
                try SizeLimit.check(bytes: out.utf8.count, what: "JSON text", limit: limit)
            }
            out += closing(indent: indent, level: level) + "}"
        case .macro, .function, .loop, .namespace:
            throw error("object of type \(value.typeName) is not JSON serializable")
        }
    }

    private static func separator(first: Bool, indent: Int?, level: Int) -> String {
        guard let indent else { return first ? "" : ", " }
        return (first ? "" : ",") + "\n" + String(repeating: " ", count: indent * level)
    }

    private static func closing(indent: Int?, level: Int) -> String {
        guard let indent else { return "" }
        return "\n" + String(repeating: " ", count: indent * level)
    }

    private static func keyText(_ key: DictKey, error: (String) -> TemplateError) throws -> String {
        switch key {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return pythonFloat(d)
        case .bool(let b): return b ? "true" : "false"
        case .none: return "null"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        // Most text needs no escape at all: copy it whole.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && !escapedASCII($0) }) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "'": out += "\\u0027"
            default:
                if scalar.value >= 0x20 && scalar.value < 0x7F {
                    out.unicodeScalars.append(scalar)
                } else if scalar.value > 0xFFFF {
                    // A deviation from Jinja, which writes a surrogate pair
                    // (`\\ud83d\\ude00`): libyaml rejects surrogate escapes in a
                    // double-quoted scalar, and tojson output is meant for YAML.
                    // The character itself is valid JSON and valid YAML.
                    out.unicodeScalars.append(scalar)
                } else {
                    out += "\\u" + hex(scalar.value, width: 4)
                }
            }
        }
        out += "\""
    }

    @inline(__always) private static func escapedASCII(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "<")
            || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "'")
    }
}
