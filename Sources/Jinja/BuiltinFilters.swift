#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Jinja's built-in filters, with Jinja 3's signatures and Python's semantics.
enum BuiltinFilters {
    typealias Filter = @Sendable (RV, CallArguments) throws -> RV

    static let table: [String: Filter] = [
        "default": defaultValue, "d": defaultValue,
        "upper": { v, a in
            try noArguments(a)
            return .string(upper(try v.str()))
        },
        "lower": { v, a in
            try noArguments(a)
            return .string(lower(try v.str()))
        },
        "title": { v, a in
            try noArguments(a)
            return .string(title(try v.str()))
        },
        "capitalize": { v, a in
            try noArguments(a)
            return .string(capitalize(try v.str()))
        },
        "replace": replace, "join": join, "length": length, "count": length,
        "trim": trim, "indent": indent,
        "tojson": { v, a in
            let bound = try a.bind(["indent"])
            let width: Int? =
                bound[0].flatMap { if case .none = $0 { nil } else { $0 } }
                .map { try? a.int($0, "indent", default: 0) } ?? nil
            if let width { try SizeLimit.check(width: width, what: "tojson indent") }
            return .string(try JSON.encode(v, indent: width, error: a.error))
        },
        "first": first, "last": last, "sort": sort, "unique": unique, "reverse": reverse,
        "list": { v, a in
            try noArguments(a)
            return .list(try sequence(v, a))
        },
        "string": { v, a in
            try noArguments(a)
            return .string(try v.str())
        },
        "int": toInt, "float": toFloat, "abs": absolute, "round": round,
        "sum": sum, "min": { v, a in try minMax(v, a, max: false) },
        "max": { v, a in try minMax(v, a, max: true) },
        "map": map, "select": { v, a in try select(v, a, keep: true, attribute: false) },
        "reject": { v, a in try select(v, a, keep: false, attribute: false) },
        "selectattr": { v, a in try select(v, a, keep: true, attribute: true) },
        "rejectattr": { v, a in try select(v, a, keep: false, attribute: true) },
        "dictsort": dictsort, "items": items, "batch": batch, "format": format,
        "slice": slice, "groupby": groupby, "urlencode": urlencode,
        "center": center, "wordcount": wordcount, "truncate": truncate, "striptags": striptags,
        "escape": escape, "e": escape,
        "safe": { v, a in
            try noArguments(a)
            return v
        },
        "attr": attr, "filesizeformat": filesizeformat, "forceescape": escape,
        "wordwrap": wordwrap,
    ]

    /// Jinja's filters that jcrun does not have: named "not supported"
    /// rather than unknown, as refused tags are.
    static let unsupported: Set<String> = ["pprint", "random", "urlize", "xmlattr"]

    /// The error for a filter name not in `table`.
    static func unknownFilter(_ name: String) -> (message: String, suggestion: String?) {
        if unsupported.contains(name) { return ("filter '\(name)' is not supported", nil) }
        return ("unknown filter '\(name)'", closestName(to: name, in: names))
    }

    static var names: [String] { table.keys.sorted() }

    /// Applies filter `name`; only `default` accepts an undefined value.
    static func run(_ name: String, _ value: RV, _ args: CallArguments) throws -> RV {
        try run(table[name], name, value, args)
    }

    /// Applies an already looked-up filter (nil: unknown, an error naming it).
    static func run(_ filter: Filter?, _ name: String, _ value: RV, _ args: CallArguments) throws
        -> RV
    {
        guard let filter else {
            let unknown = unknownFilter(name)
            throw args.error(unknown.message, suggestion: unknown.suggestion)
        }
        if case .undefined(let u) = value, name != "default", name != "d" {
            if name == "items" { return .list([]) }
            if u.lenient { return try filter(.string(""), args) }
            throw u.error
        }
        do {
            let result = try filter(value, args)
            if addsNesting.contains(name) { try SizeLimit.checkNesting(of: result) }
            return result
        } catch let exceeded as SizeLimit.Exceeded {
            throw args.error(exceeded.message)
        }
    }

    /// The filters whose result nests a level deeper than their input
    /// (`batch` makes lists of items): their result is checked against
    /// `SizeLimit.maximumNesting`. The others keep or reduce the nesting.
    static let addsNesting: Set<String> = ["batch", "slice", "groupby", "dictsort", "items"]

    private static func noArguments(_ args: CallArguments) throws {
        _ = try args.bind([])
    }

    /// The items of a sequence, or an error naming the filter.
    static func sequence(_ value: RV, _ args: CallArguments) throws -> [RV] {
        guard let items = try value.iterate() else {
            throw args.error("\(args.what) expects a sequence, not \(value.typeName)")
        }
        return items
    }

    // MARK: - Values

    private static func defaultValue(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["default_value", "boolean"])
        let replacement = bound[0] ?? .string("")
        if value.isUndefined { return replacement }
        if try args.bool(bound[1], default: false), try !value.truthy() { return replacement }
        return value
    }

    /// Jinja's `int`: Python's `int(value)`, or `int(text, base)` then
    /// `int(float(text))` for text; the default where Python fails. A value
    /// past 64 bits, which Python holds as a big integer, is an error.
    private static func toInt(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["default", "base"])
        let fallback = bound[0] ?? .int(0)
        let base = try args.int(bound[1], "base", default: 10)
        switch value {
        case .int: return value
        case .bool(let b): return .int(b ? 1 : 0)
        case .double(let d):
            if d.isNaN { return fallback }
            // Jinja lets Python's OverflowError through for an infinity.
            guard d.isFinite else { throw args.error(PythonNumber.conversionError(d)) }
            guard let number = PythonNumber.truncating(d) else {
                throw args.error("integer too large")
            }
            return .int(number)
        case .string(let text):
            switch PythonNumber.parseInt(text, base: base) {
            case .value(let number): return .int(number)
            case .tooLarge: throw args.error("integer too large")
            case .invalid: break
            }
            // Jinja catches the OverflowError and ValueError of an infinity or NaN.
            guard let number = PythonNumber.parseFloat(text), number.isFinite else {
                return fallback
            }
            guard let integer = PythonNumber.truncating(number) else {
                throw args.error("integer too large")
            }
            return .int(integer)
        default: return fallback
        }
    }

    private static func toFloat(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["default"])
        let fallback = bound[0] ?? .double(0)
        switch value {
        case .int(let i): return .double(Double(i))
        case .bool(let b): return .double(b ? 1 : 0)
        case .double: return value
        case .string(let text): return PythonNumber.parseFloat(text).map(RV.double) ?? fallback
        default: return fallback
        }
    }

    /// Jinja's `filesizeformat(binary=False)`: `1 Byte`, `N Bytes`, then
    /// one decimal in kB, MB, ... (KiB, MiB, ... with powers of 1024).
    private static func filesizeformat(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["binary"])
        let binary = try args.bool(bound[0], default: false)
        let bytes: Double
        switch value {
        case .string(let text):
            guard let number = PythonNumber.parseFloat(text) else {
                throw args.error("could not convert string to float: \(try value.repr())")
            }
            bytes = number
        default:
            guard let number = value.number else {
                throw args.error("\(args.what) expects a number, not \(value.typeName)")
            }
            bytes = number
        }
        let base: Double = binary ? 1024 : 1000
        if bytes == 1 { return .string("1 Byte") }
        if bytes < base {
            guard bytes.isFinite else { throw args.error(PythonNumber.conversionError(bytes)) }
            guard let whole = PythonNumber.truncating(bytes) else {
                throw args.error("integer too large")
            }
            return .string("\(whole) Bytes")
        }
        let prefixes =
            binary
            ? ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
            : ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        // base ** (i + 2) as Python compares it, exactly: every unit is a
        // Double but 10**24, whose Double lies just below it.
        let decimalUnits: [Double] = [1e6, 1e9, 1e12, 1e15, 1e18, 1e21, 1e24, 1e27]
        var chosen = prefixes.count - 1
        var unit: Double = binary ? 0x1p90 : 1e27
        for index in prefixes.indices {
            let candidate = binary ? Double(sign: .plus, exponent: 10 * (index + 2), significand: 1)
                : decimalUnits[index]
            let below = binary || index != 6 ? bytes < candidate : bytes <= candidate
            if below {
                chosen = index
                unit = candidate
                break
            }
        }
        let text = PercentFormat.cFormat("%.1f", base * bytes / unit)
        return .string(text + " " + prefixes[chosen])
    }

    /// Jinja's `wordwrap(width=79, break_long_words=True, wrapstring=None,
    /// break_on_hyphens=True)`: each line of the text through Python's
    /// `textwrap.wrap`, joined with `wrapstring` (a newline by default).
    /// TODO(#2): a word's characters are ICU's `\w`, which may differ from
    /// Python's for rare numeric characters, so such text may wrap elsewhere.
    private static func wordwrap(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["width", "break_long_words", "wrapstring", "break_on_hyphens"])
        let width = try args.int(bound[0], "width", default: 79)
        let breakLongWords = try args.bool(bound[1], default: true)
        let wrapstring: String = try bound[2].flatMap { $0.isNone ? nil : try $0.str() } ?? "\n"
        let breakOnHyphens = try args.bool(bound[3], default: true)
        let lines = splitLines(try value.str())
        if !lines.isEmpty, width <= 0 { throw args.error("invalid width \(width) (must be > 0)") }
        var parts: [String] = []
        parts.reserveCapacity(lines.count)
        for line in lines {
            let wrapped = TextWrap.wrap(
                line, width: width, breakLongWords: breakLongWords, breakOnHyphens: breakOnHyphens)
            parts.append(try joined(wrapped, separator: wrapstring))
        }
        return .string(try joined(parts, separator: wrapstring))
    }

    private static func absolute(_ value: RV, _ args: CallArguments) throws -> RV {
        try noArguments(args)
        switch value {
        case .int(let i):
            guard i != Int.min else { throw args.error("integer too large") }
            return .int(abs(i))
        case .bool(let b): return .int(b ? 1 : 0)
        case .double(let d): return .double(abs(d))
        default: throw args.error("bad operand type for abs(): '\(value.typeName)'")
        }
    }

    /// Jinja's `round`: Python's `round(value, precision)` for `common`
    /// (an integer stays an integer, rounded half to even for a negative
    /// precision), else `math.ceil`/`math.floor` of `value * 10**precision`
    /// divided back, always a float.
    /// TODO(#2): a float with a negative precision is multiplied and divided
    /// back, which may differ from Python's exact rounding on some values.
    private static func round(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["precision", "method"])
        let precision = try args.int(bound[0], "precision", default: 0)
        let method = try args.string(bound[1], "method", default: "common")
        guard ["common", "ceil", "floor"].contains(method) else {
            throw args.error("method must be 'common', 'ceil' or 'floor'")
        }
        guard let number = value.number else {
            throw args.error("filter 'round' expects a number, not \(value.typeName)")
        }
        let integer: Int? = value.integerValue
        if method == "common" {
            if let integer {
                if precision >= 0 { return .int(integer) }
                guard let rounded = roundInteger(integer, digits: -precision) else {
                    throw args.error("integer too large")
                }
                return .int(rounded)
            }
            return .double(pythonRound(number, precision))
        }
        // Exact in Python: value * 10**precision is an integer, so the result is float(value).
        if integer != nil, precision >= 0 { return .double(number) }
        // Python turns 10**precision into a float, which fails past 1e308.
        guard precision <= 308 else { throw args.error("int too large to convert to float") }
        let scale = pow(10.0, Double(precision))
        let scaled = number * scale
        guard scaled.isFinite else { throw args.error(PythonNumber.conversionError(scaled)) }
        return .double((method == "ceil" ? scaled.rounded(.up) : scaled.rounded(.down)) / scale)
    }

    /// Python's `round(i, -digits)` of an integer: to a multiple of
    /// 10**digits, ties to even; nil past 64 bits.
    static func roundInteger(_ value: Int, digits: Int) -> Int? {
        let magnitude = UInt64(value.magnitude)
        var rounded: UInt64
        if digits >= 20 {
            rounded = 0  // 10**20 is more than twice any 64-bit magnitude.
        } else if digits == 19 {
            // 10**19 does not fit in Int but does in UInt64.
            let unit: UInt64 = 10_000_000_000_000_000_000
            rounded = magnitude > unit / 2 ? unit : 0
        } else {
            var unit: UInt64 = 1
            for _ in 0..<digits { unit *= 10 }
            let quotient = magnitude / unit
            let remainder = magnitude % unit
            var units = quotient
            if remainder > unit - remainder || (remainder == unit - remainder && quotient & 1 == 1) {
                units += 1
            }
            let (product, overflow) = units.multipliedReportingOverflow(by: unit)
            if overflow { return nil }
            rounded = product
        }
        if value < 0 {
            guard rounded <= UInt64(Int.max) + 1 else { return nil }
            return rounded == UInt64(Int.max) + 1 ? Int.min : -Int(rounded)
        }
        guard rounded <= UInt64(Int.max) else { return nil }
        return Int(rounded)
    }

    /// Python's `round(x, n)`: correctly rounded, ties to even.
    static func pythonRound(_ x: Double, _ digits: Int) -> Double {
        guard x.isFinite else { return x }
        if digits == 0 { return x.rounded(.toNearestOrEven) }
        // As CPython: past these every digit is kept, or none is.
        if digits > 323 { return x }
        if digits < -308 { return 0.0 * x }
        if digits < 0 || digits > 300 {
            let scale = pow(10.0, Double(digits))
            return (x * scale).rounded(.toNearestOrEven) / scale
        }
        let text = PercentFormat.cFormat("%.*f", digits, x)
        return Double(text) ?? x
    }

    // MARK: - Text

    /// `str.upper()`, without Unicode tables when the text is ASCII.
    static func upper(_ text: String) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.uppercased() }
        guard text.utf8.contains(where: { $0 >= 0x61 && $0 <= 0x7A }) else { return text }
        return String(
            decoding: text.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 32 : $0 }, as: UTF8.self)
    }

    /// `str.lower()`, without Unicode tables when the text is ASCII.
    static func lower(_ text: String) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return lowered(Array(text.unicodeScalars), from: 0)
        }
        guard text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return text }
        return String(
            decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// Python's `lower()` of `scalars[start...]`, with Python's (Unicode's)
    /// final sigma: a capital sigma ending a word becomes `ς`, not `σ`; the
    /// word is judged on all of `scalars`.
    private static func lowered(_ scalars: [Unicode.Scalar], from start: Int) -> String {
        var view = String.UnicodeScalarView()
        for index in start..<scalars.count {
            let scalar = scalars[index]
            if scalar == "\u{03A3}" {
                view.append(isFinalSigma(scalars, at: index) ? "\u{03C2}" : "\u{03C3}")
            } else if scalar.properties.changesWhenLowercased {
                view.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                view.append(scalar)
            }
        }
        return String(view)
    }

    /// CPython's `handle_capital_sigma`: a cased letter before (past
    /// case-ignorable ones), and none after.
    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var before = index - 1
        while before >= 0, scalars[before].properties.isCaseIgnorable { before -= 1 }
        guard before >= 0, scalars[before].properties.isCased else { return false }
        var after = index + 1
        while after < scalars.count, scalars[after].properties.isCaseIgnorable { after += 1 }
        return after == scalars.count || !scalars[after].properties.isCased
    }

    /// Jinja's `title`: each piece between runs of `-`, whitespace, `(`,
    /// `{`, `[` and `<` as `piece[0].upper() + piece[1:].lower()`.
    static func title(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var word: [Unicode.Scalar] = []
        func flushWord() {
            guard let first = word.first else { return }
            result.append(contentsOf: first.properties.uppercaseMapping.unicodeScalars)
            result.append(contentsOf: lowered(Array(word.dropFirst()), from: 0).unicodeScalars)
            word.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            let isSeparator =
                scalar == "-" || scalar == "(" || scalar == "{" || scalar == "["
                || scalar == "<" || isPythonSpace(scalar)
            if isSeparator {
                flushWord()
                result.append(scalar)
            } else {
                word.append(scalar)
            }
        }
        flushWord()
        return String(result)
    }

    /// Python's `str.capitalize()`: the first character in title case, the rest lower.
    static func capitalize(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.first else { return text }
        return first.properties.titlecaseMapping + lowered(scalars, from: 1)
    }

    private static func replace(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["old", "new", "count"])
        let text = try value.str()
        guard let oldValue = bound[0], let newValue = bound[1] else {
            throw args.error("\(args.what) needs the text to replace and its replacement")
        }
        let old = try oldValue.str()
        let new = try newValue.str()
        var count = -1
        if let limit = bound[2], !(limit.isNone) {
            count = try args.int(limit, "count", default: -1)
        }
        let limit = SizeLimit.maximumBytes
        if old.isEmpty {
            var result = ""
            var inserted = 0
            for character in text.unicodeScalars {
                if count < 0 || inserted < count {
                    result += new
                    inserted += 1
                    try SizeLimit.check(bytes: result.utf8.count, what: "string", limit: limit)
                }
                result.unicodeScalars.append(character)
            }
            if count < 0 || inserted < count { result += new }
            return .string(result)
        }
        var result = ""
        var rest = Substring(text)
        var replaced = 0
        while count < 0 || replaced < count, let range = rest.firstRange(of: old) {
            result += rest[..<range.lowerBound]
            result += new
            try SizeLimit.check(bytes: result.utf8.count, what: "string", limit: limit)
            rest = rest[range.upperBound...]
            replaced += 1
        }
        result += rest
        return .string(result)
    }

    private static func join(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["d", "attribute"])
        let separator = try args.string(bound[0], "d", default: "")
        var items = try sequence(value, args)
        if let attribute = bound[1] {
            items = try items.map { try lookupPath(attribute, in: $0, args) }
        }
        return .string(try joined(items.map { try $0.str() }, separator: separator))
    }

    /// A padding width, negative counting as 0, at most the output size limit.
    static func checkedWidth(_ width: Int, _ what: String) throws -> Int {
        try SizeLimit.check(width: width, what: what)
        return max(0, width)
    }

    /// `parts.joined(separator:)`, refusing a result past the output size limit.
    static func joined(_ parts: [String], separator: String) throws -> String {
        var bytes = SizeLimit.product(separator.utf8.count, max(0, parts.count - 1)) ?? Int.max
        for part in parts where bytes <= SizeLimit.maximumBytes { bytes += part.utf8.count }
        try SizeLimit.check(bytes: bytes, what: "joined string")
        return parts.joined(separator: separator)
    }

    private static func length(_ value: RV, _ args: CallArguments) throws -> RV {
        try noArguments(args)
        switch value {
        case .string(let s): return .int(s.unicodeScalars.count)
        case .list(let items), .tuple(let items): return .int(items.count)
        case .group: return .int(2)
        case .dict(let d): return .int(d.count)
        default: throw args.error("\(value.typeName) has no length")
        }
    }

    private static func trim(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["chars"])
        let chars: String? = try bound[0].flatMap { $0.isNone ? nil : try $0.str() }
        return .string(Methods.strip(try value.str(), chars))
    }

    /// Jinja 3's `indent(width=4, first=False, blank=False)`.
    private static func indent(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["width", "first", "blank"])
        let indentation: String
        if case .string(let text)? = bound[0] {
            indentation = text
        } else {
            indentation = String(
                repeating: " ", count: try checkedWidth(args.int(bound[0], "width", default: 4), "indent"))
        }
        let first = try args.bool(bound[1], default: false)
        let blank = try args.bool(bound[2], default: false)
        let lines = splitLines(try value.str() + "\n")
        if let indented = SizeLimit.product(lines.count, indentation.utf8.count) {
            try SizeLimit.check(bytes: indented, what: "indented text")
        } else {
            try SizeLimit.check(bytes: Int.max, what: "indented text")
        }
        var result: String
        if blank {
            result = lines.joined(separator: "\n" + indentation)
        } else {
            result = lines.first ?? ""
            for line in lines.dropFirst() {
                result += "\n"
                if !line.isEmpty { result += indentation }
                result += line
            }
        }
        if first { result = indentation + result }
        return .string(result)
    }

    /// Python's `str.splitlines()`.
    static func splitLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if previousWasCR {
                previousWasCR = false
                if scalar == "\n" { continue }
            }
            switch scalar.value {
            case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
                lines.append(String(current))
                current = String.UnicodeScalarView()
                previousWasCR = scalar == "\r"
            default:
                current.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    private static func center(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["width"])
        let width = try checkedWidth(args.int(bound[0], "width", default: 80), "center")
        let text = try value.str()
        let length = text.unicodeScalars.count
        guard width > length else { return .string(text) }
        let margin = width - length
        let left = margin / 2 + (margin & width & 1)
        return .string(
            String(repeating: " ", count: left) + text
                + String(repeating: " ", count: margin - left))
    }

    private static func wordcount(_ value: RV, _ args: CallArguments) throws -> RV {
        try noArguments(args)
        var count = 0
        var inWord = false
        for scalar in try value.str().unicodeScalars {
            let isWord =
                scalar == "_" || scalar.properties.isAlphabetic
                || scalar.properties.numericType != nil
            if isWord && !inWord { count += 1 }
            inWord = isWord
        }
        return .int(count)
    }

    /// Jinja 3's `truncate(length=255, killwords=False, end='...', leeway=5)`.
    private static func truncate(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["length", "killwords", "end", "leeway"])
        let text = Array(try value.str().unicodeScalars)
        let length = try args.int(bound[0], "length", default: 255)
        let killwords = try args.bool(bound[1], default: false)
        let end = try args.string(bound[2], "end", default: "...")
        let leeway = try args.int(bound[3], "leeway", default: 5)
        let endLength = end.unicodeScalars.count
        guard length >= endLength else {
            throw args.error("expected length >= \(endLength), got \(length)")
        }
        guard leeway >= 0 else { throw args.error("expected leeway >= 0, got \(leeway)") }
        if text.count - leeway <= length { return value }
        var kept = Array(text[0..<(length - endLength)])
        if !killwords, let space = kept.lastIndex(of: " ") { kept = Array(kept[..<space]) }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: kept)
        return .string(String(view) + end)
    }

    private static func striptags(_ value: RV, _ args: CallArguments) throws -> RV {
        try noArguments(args)
        var text = ""
        var inTag = false
        var rest = Substring(try value.str())
        while let c = rest.first {
            if !inTag && rest.hasPrefix("<!--") {
                if let close = rest.firstRange(of: "-->") {
                    rest = rest[close.upperBound...]
                    continue
                }
            }
            if c == "<" && !inTag && rest.dropFirst().contains(">") {
                inTag = true
            } else if c == ">" && inTag {
                inTag = false
            } else if !inTag {
                text.append(c)
            }
            rest = rest.dropFirst()
        }
        let entities: [(String, String)] = [
            ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&#34;", "\""),
            ("&amp;", "&"),
        ]
        for (entity, character) in entities {
            let replaceArgs = CallArguments(
                .filter, "striptags", source: args.source, offset: args.offset,
                positional: [.string(entity), .string(character)])
            text = try replace(.string(text), replaceArgs).str()
        }
        return .string(Methods.split(text, nil, -1).joined(separator: " "))
    }

    /// `urlencode`: text (or any single value) percent-encoded for a URL
    /// path, keeping `/`; a dict or a sequence of pairs as a query string
    /// (`k=v&...`, spaces as `+`).
    private static func urlencode(_ value: RV, _ args: CallArguments) throws -> RV {
        try noArguments(args)
        let pairs: [RV]
        switch value {
        case .dict(let dict): pairs = dict.items.map { .tuple([$0.0.value, $0.1]) }
        case .list(let items), .tuple(let items): pairs = items
        case .group(let group): pairs = group.items
        default: return .string(percentEncoded(try value.str(), keepingSlash: true))
        }
        var parts: [String] = []
        for pair in pairs {
            guard let both = try pair.iterate(), both.count == 2 else {
                throw args.error(
                    "\(args.what) expects pairs of key and value, not \(pair.typeName)")
            }
            let key = percentEncoded(try both[0].str(), keepingSlash: false)
            let value = percentEncoded(try both[1].str(), keepingSlash: false)
            parts.append(key + "=" + value)
        }
        return .string(parts.joined(separator: "&"))
    }

    /// Python's `quote`: UTF-8 bytes, every one but letters, digits and
    /// `_.-~` (and `/` for a path) as `%XX`; in a query, a space is `+`.
    private static func percentEncoded(_ text: String, keepingSlash: Bool) -> String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "-"), UInt8(ascii: "~"):
                bytes.append(byte)
            case UInt8(ascii: "/") where keepingSlash:
                bytes.append(byte)
            case UInt8(ascii: " ") where !keepingSlash:
                bytes.append(UInt8(ascii: "+"))
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func escape(_ value: RV, _ args: CallArguments) throws -> RV {
        try noArguments(args)
        var result = ""
        for character in try value.str().unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&#34;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(character)
            }
        }
        return .string(result)
    }

    private static func format(_ value: RV, _ args: CallArguments) throws -> RV {
        guard args.positional.isEmpty || args.keyword.isEmpty else {
            throw args.error("can't handle positional and keyword arguments at the same time")
        }
        var keywords = RDict()
        for (name, item) in args.keyword { keywords[.string(name)] = item }
        return .string(
            try PercentFormat.format(
                try value.str(), args.positional,
                keyword: args.keyword.isEmpty ? nil : .dict(keywords), error: { args.error($0) }))
    }

    private static func attr(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["name"])
        let name = try args.string(bound[0], "name", default: "")
        if let method = Methods.bound(name, to: value, source: args.source, offset: args.offset) {
            return method
        }
        return .undefined(
            Undefined(
                reason: .attribute(name, value.typeName), source: args.source,
                offset: args.offset))
    }
}

extension RV {
    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}

extension String {
    func replacingUnderscores() -> String {
        guard contains("_") else { return self }
        return filter { $0 != "_" }
    }
}
