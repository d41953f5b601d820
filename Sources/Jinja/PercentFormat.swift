#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Python's `text % values` (the `format` filter and the `%` operator).
enum PercentFormat {
    /// Formats `format` with positional `values`, or with the mapping `keyword` for `%(name)s`.
    ///
    /// - Throws: what `error` makes of a bad conversion or a count mismatch.
    static func format(
        _ format: String, _ values: [RV], keyword: RV?, error: (String) -> TemplateError
    ) throws -> String {
        var result = ""
        var index = 0
        var usedMapping = false
        let chars = Array(format.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            i += 1
            guard c == "%" else {
                result.unicodeScalars.append(c)
                continue
            }
            guard i < chars.count else { throw error("incomplete format") }
            var value: RV?
            if chars[i] == "(" {
                guard let close = chars[i...].firstIndex(of: ")") else {
                    throw error("incomplete format key")
                }
                let key = String(String.UnicodeScalarView(chars[(i + 1)..<close]))
                guard case .dict(let dict)? = keyword else {
                    throw error("format requires a mapping")
                }
                guard let found = dict[.string(key)] else {
                    throw error("format has no key '\(key)'")
                }
                value = found
                usedMapping = true
                i = close + 1
            }
            var flags = ""
            while i < chars.count, "-+ #0".unicodeScalars.contains(chars[i]) {
                flags.unicodeScalars.append(chars[i])
                i += 1
            }
            var width = ""
            while i < chars.count, chars[i].properties.numericType != nil, chars[i].isASCII {
                width.unicodeScalars.append(chars[i])
                i += 1
            }
            var precision: Int?
            if i < chars.count && chars[i] == "." {
                i += 1
                var digits = ""
                while i < chars.count, chars[i].isASCII, chars[i].properties.numericType != nil {
                    digits.unicodeScalars.append(chars[i])
                    i += 1
                }
                precision = try size(digits, "precision", error: error)
            }
            guard i < chars.count else { throw error("incomplete format") }
            let conversion = chars[i]
            i += 1
            if conversion == "%" {
                result += "%"
                continue
            }
            if value == nil {
                guard index < values.count else {
                    throw error("not enough arguments for format string")
                }
                value = values[index]
                index += 1
            }
            result += try convert(
                value!, conversion, flags: flags,
                width: width.isEmpty ? nil : try size(width, "width", error: error),
                precision: precision,
                error: error)
            guard result.utf8.count <= SizeLimit.maximumBytes else {
                throw error(
                    "formatted string of \(result.utf8.count) characters is too large"
                        + " (the limit is \(SizeLimit.described))")
            }
        }
        if !usedMapping && index < values.count && keyword == nil {
            throw error("not all arguments converted during string formatting")
        }
        return result
    }

    private static func convert(
        _ value: RV, _ conversion: Unicode.Scalar, flags: String, width: Int?, precision: Int?,
        error: (String) -> TemplateError
    ) throws -> String {
        var spec = "%" + flags
        if let width { spec += String(width) }
        if let precision { spec += "." + String(precision) }
        switch conversion {
        case "s", "r":
            var text = conversion == "s" ? try value.str() : try value.repr()
            if let precision { text = String(text.unicodeScalars.prefix(precision)) }
            return pad(text, width: width ?? 0, left: flags.contains("-"))
        case "d", "i", "u":
            guard let number = value.number else {
                throw error("%d format: a number is required, not \(value.typeName)")
            }
            let integer: Int
            if case .int(let i) = value {
                integer = i
            } else {
                guard number.isFinite else {
                    throw error("cannot convert float \(pythonFloat(number)) to integer")
                }
                guard let truncated = PythonNumber.truncating(number) else {
                    throw error("integer too large")
                }
                integer = truncated
            }
            return cFormat(spec + "ld", integer)
        case "x", "X", "o":
            guard case .int(let integer) = value else {
                throw error("%\(conversion) format: an integer is required")
            }
            return cFormat(spec + "l" + String(conversion), integer)
        case "f", "F", "e", "E", "g", "G":
            guard let number = value.number else {
                throw error("must be real number, not \(value.typeName)")
            }
            return cFormat(spec + String(conversion), number)
        case "c":
            // Python: an int that is a code point, or a one-character string.
            let character: String
            if let code = value.integerValue {
                guard code >= 0, code < 0x110000 else {
                    throw error("%c arg not in range(0x110000)")
                }
                guard let scalar = Unicode.Scalar(UInt32(code)) else {
                    throw error("%c arg is a lone surrogate, which text cannot hold")
                }
                character = String(scalar)
            } else if case .string(let text) = value, text.unicodeScalars.count == 1 {
                character = text
            } else {
                throw error("%c requires int or char")
            }
            return pad(character, width: width ?? 0, left: flags.contains("-"))
        default:
            throw error("unsupported format character '\(conversion)'")
        }
    }

    /// A width or precision written in the format, at most the output size limit.
    private static func size(
        _ digits: String, _ what: String, error: (String) -> TemplateError
    ) throws -> Int {
        if digits.isEmpty { return 0 }
        guard let value = Int(digits), value <= SizeLimit.maximumBytes else {
            throw error("format \(what) \(digits) is too large (the limit is \(SizeLimit.described))")
        }
        return value
    }

    private static func pad(_ text: String, width: Int, left: Bool) -> String {
        let count = text.unicodeScalars.count
        guard width > count else { return text }
        let padding = String(repeating: " ", count: width - count)
        return left ? text + padding : padding + text
    }

    /// C's `snprintf` for one argument.
    static func cFormat(_ spec: String, _ args: CVarArg...) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        let length = withVaList(args) { vaList in
            buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, 512, spec, vaList) }
        }
        if length >= 512 {
            buffer = [CChar](repeating: 0, count: Int(length) + 1)
            _ = withVaList(args) { vaList in
                buffer.withUnsafeMutableBufferPointer {
                    vsnprintf($0.baseAddress, Int(length) + 1, spec, vaList)
                }
            }
        }
        return String(
            decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
