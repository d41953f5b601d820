/// The Python methods templates may call on dicts and strings
/// (`d.items()`, `d.get('k', 1)`, `s.startswith('x')`, `s.split(',')`).
enum Methods {
    static func bound(_ name: String, to object: RV, source: SourceText, offset: Int) -> RV? {
        switch object {
        case .dict(let dict): return dictMethod(name, dict)
        case .string(let text): return stringMethod(name, text)
        default: return nil
        }
    }

    private static func function(_ name: String, _ body: @escaping (CallArguments) throws -> RV)
        -> RV
    {
        .function(Function(name: name, call: body))
    }

    private static func dictMethod(_ name: String, _ dict: RDict) -> RV? {
        switch name {
        case "items":
            return function("items") { _ in .list(dict.items.map { .tuple([$0.0.value, $0.1]) }) }
        case "keys":
            return function("keys") { _ in .list(dict.keys.map(\.value)) }
        case "values":
            return function("values") { _ in .list(dict.items.map(\.1)) }
        case "get":
            return function("get") { args in
                let bound = try args.bind(["key", "default"])
                guard let key = bound[0] else { throw args.error("get() needs a key") }
                if case .undefined(let u) = key { throw u.error }
                return key.dictKey.flatMap { dict[$0] } ?? bound[1] ?? .none
            }
        default: return nil
        }
    }

    private static func stringMethod(_ name: String, _ text: String) -> RV? {
        switch name {
        case "upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip":
            return function(name) { args in
                let bound = try args.bind(name.hasSuffix("strip") ? ["chars"] : [])
                if name.hasSuffix("strip") {
                    let chars = try bound[0].map { try $0.str() }
                    return .string(
                        strip(text, chars, left: name != "rstrip", right: name != "lstrip"))
                }
                return try BuiltinFilters.run(name, .string(text), args)
            }
        case "startswith", "endswith":
            return function(name) { args in
                let bound = try args.bind(["prefix"])
                let candidates: [RV]
                if case .tuple(let items)? = bound[0] {
                    candidates = items
                } else {
                    candidates = [bound[0] ?? .none]
                }
                for candidate in candidates {
                    let part = try args.string(candidate, "prefix", default: "")
                    let matches =
                        name == "startswith"
                        ? text.unicodeScalars.starts(with: part.unicodeScalars)
                        : text.unicodeScalars.reversed().starts(
                            with: part.unicodeScalars.reversed())
                    if matches { return .bool(true) }
                }
                return .bool(false)
            }
        case "split":
            return function(name) { args in
                let bound = try args.bind(["sep", "maxsplit"])
                let separator: String? = try bound[0].flatMap {
                    if case .none = $0 { nil } else { try $0.str() }
                }
                let limit = try args.int(bound[1], "maxsplit", default: -1)
                return .list(split(text, separator, limit).map { .string($0) })
            }
        case "replace":
            return function(name) { args in try BuiltinFilters.run("replace", .string(text), args) }
        case "format":
            return function(name) { args in
                .string(try braceFormat(text, args))
            }
        case "join":
            return function(name) { args in
                let bound = try args.bind(["iterable"])
                guard let items = try bound[0]?.iterate() else {
                    throw args.error("join() needs a list")
                }
                return .string(
                    try BuiltinFilters.joined(items.map { try $0.str() }, separator: text))
            }
        default: return nil
        }
    }

    /// Python's `str.strip([chars])`.
    static func strip(_ text: String, _ chars: String?, left: Bool = true, right: Bool = true)
        -> String
    {
        let scalars = Array(text.unicodeScalars)
        let strips: (Unicode.Scalar) -> Bool = { scalar in
            if let chars { return chars.unicodeScalars.contains(scalar) }
            return isPythonSpace(scalar)
        }
        var start = 0
        var end = scalars.count
        if left { while start < end && strips(scalars[start]) { start += 1 } }
        if right { while end > start && strips(scalars[end - 1]) { end -= 1 } }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<end])
        return String(view)
    }

    /// Python's `str.split(sep, maxsplit)`.
    static func split(_ text: String, _ separator: String?, _ limit: Int) -> [String] {
        guard let separator, !separator.isEmpty else {
            let scalars = Array(text.unicodeScalars)
            var parts: [String] = []
            var i = 0
            while true {
                while i < scalars.count && isPythonSpace(scalars[i]) { i += 1 }
                if i >= scalars.count { break }
                let start = i
                if limit >= 0 && parts.count == limit { i = scalars.count }
                while i < scalars.count
                    && (limit >= 0 && parts.count == limit || !isPythonSpace(scalars[i]))
                {
                    i += 1
                }
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars[start..<i])
                parts.append(String(view))
            }
            return parts
        }
        var parts: [String] = []
        var rest = Substring(text)
        var remaining = limit
        while remaining != 0, let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
            remaining -= 1
        }
        parts.append(String(rest))
        return parts
    }

    /// A small `str.format`: `{}`, `{0}`, `{name}`, `!s` and an empty
    /// spec; a format spec, another conversion, an index or an attribute
    /// is refused by name rather than misread.
    /// TODO(#2): Python's format spec mini-language (`{:>5}`, `{:d}`, `{:.2f}`) is refused.
    private static func braceFormat(_ text: String, _ args: CallArguments) throws -> String {
        var result = ""
        var automatic = 0
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "{" || c == "}" {
                let next = text.index(after: i)
                if next < text.endIndex && text[next] == c {
                    result.append(c)
                    i = text.index(after: next)
                    continue
                }
                guard c == "{", let close = text[next...].firstIndex(of: "}") else {
                    throw args.error("single '\(c)' encountered in format string")
                }
                var field = Substring(text[next..<close])
                if let mark = field.firstIndex(where: { $0 == "!" || $0 == ":" }) {
                    var tail = field[mark...]
                    field = field[..<mark]
                    if tail.hasPrefix("!") {
                        let conversion = tail.prefix(2)
                        guard conversion == "!s" else {
                            throw args.error("format conversion '\(conversion)' is not supported")
                        }
                        tail = tail.dropFirst(2)
                        guard tail.isEmpty || tail.hasPrefix(":") else {
                            throw args.error("expected ':' after conversion specifier")
                        }
                    }
                    guard tail.isEmpty || tail == ":" else {
                        throw args.error("format spec '\(tail)' is not supported")
                    }
                }
                if field.contains(where: { $0 == "[" || $0 == "." }) {
                    throw args.error("format field '{\(field)}' is not supported (no index or attribute)")
                }
                let value: RV?
                if field.isEmpty {
                    value = automatic < args.positional.count ? args.positional[automatic] : nil
                    automatic += 1
                } else if let index = Int(field) {
                    value = index < args.positional.count ? args.positional[index] : nil
                } else {
                    value = args.keyword.first { $0.0 == field }?.1
                }
                guard let value else { throw args.error("format() has no value for '{\(field)}'") }
                result += try value.str()
                try SizeLimit.check(bytes: result.utf8.count, what: "formatted string")
                i = text.index(after: close)
                continue
            }
            result.append(c)
            i = text.index(after: i)
        }
        return result
    }
}

/// Python's `str.isspace` for one scalar.
func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F,
        0x205F, 0x3000:
        return true
    default:
        return false
    }
}
