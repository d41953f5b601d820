/// Splits a template into tokens, applying Jinja's whitespace control.
///
/// Defaults are Jinja's: `trim_blocks` and `lstrip_blocks` off; `{%-`, `{{-`,
/// `{#-` strip the white space before the tag, `-%}`, `-}}`, `-#}` the white
/// space after it. Text tokens are slices of the source, so rendered text maps
/// back to the template byte for byte.
struct Lexer {
    private let source: SourceText
    private let bytes: [UInt8]
    private var i = 0
    private var tokens: [Token] = []
    private var stripNextText = false

    init(source: SourceText) {
        self.source = source
        self.bytes = source.bytes
    }

    /// - Throws: `TemplateError` for unterminated tags, comments, strings and raw blocks.
    static func tokenize(_ source: SourceText) throws -> [Token] {
        var lexer = Lexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private func error(_ message: String, at offset: Int) -> TemplateError {
        TemplateError(position: source.position(of: offset), message: message)
    }

    private mutating func run() throws {
        let n = bytes.count
        while i <= n {
            let tagStart = nextTagStart(from: i)
            let textEnd = tagStart ?? n
            emitText(from: i, to: textEnd, stripEnd: tagStart.map { hasMinus(at: $0 + 2) } ?? false)
            guard let tagStart else { break }
            switch bytes[tagStart + 1] {
            case UInt8(ascii: "#"): try skipComment(at: tagStart)
            case UInt8(ascii: "%"):
                if try !lexRaw(at: tagStart) {
                    tokens.append(Token(kind: .blockBegin, offset: tagStart))
                    i = tagStart + 2 + (hasMarker(at: tagStart + 2) ? 1 : 0)
                    try lexInside(tagStart: tagStart, closer: UInt8(ascii: "%"))
                }
            default:
                tokens.append(Token(kind: .variableBegin, offset: tagStart))
                i = tagStart + 2 + (hasMarker(at: tagStart + 2) ? 1 : 0)
                try lexInside(tagStart: tagStart, closer: UInt8(ascii: "}"))
            }
        }
        tokens.append(Token(kind: .eof, offset: n))
    }

    private func hasMinus(at index: Int) -> Bool {
        index < bytes.count && bytes[index] == UInt8(ascii: "-")
    }

    private func hasMarker(at index: Int) -> Bool {
        index < bytes.count
            && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+"))
    }

    private func nextTagStart(from start: Int) -> Int? {
        var j = start
        let last = bytes.count - 1
        while j < last {
            if bytes[j] == UInt8(ascii: "{") {
                let next = bytes[j + 1]
                if next == UInt8(ascii: "{") || next == UInt8(ascii: "%")
                    || next == UInt8(ascii: "#")
                {
                    return j
                }
            }
            j += 1
        }
        return nil
    }

    private mutating func emitText(from start: Int, to end: Int, stripEnd: Bool) {
        var start = start
        var end = end
        if stripNextText {
            while start < end && isSpace(bytes[start]) { start += 1 }
            stripNextText = false
        }
        if stripEnd {
            while end > start && isSpace(bytes[end - 1]) { end -= 1 }
        }
        if end > start { tokens.append(Token(kind: .text, offset: start, end: end)) }
    }

    private mutating func skipComment(at tagStart: Int) throws {
        var j = tagStart + 2
        while j + 1 < bytes.count {
            if bytes[j] == UInt8(ascii: "#") && bytes[j + 1] == UInt8(ascii: "}") {
                stripNextText = j > tagStart + 2 && bytes[j - 1] == UInt8(ascii: "-")
                i = j + 2
                return
            }
            j += 1
        }
        throw error("unterminated comment: expected '#}'", at: tagStart)
    }

    /// Matches `{% raw %}` at `tagStart`; if it is one, emits its content as text.
    private mutating func lexRaw(at tagStart: Int) throws -> Bool {
        guard let afterOpen = matchRawTag("raw", at: tagStart) else { return false }
        var j = afterOpen.end
        while let start = nextTagStart(from: j) {
            if bytes[start + 1] == UInt8(ascii: "%"), let close = matchRawTag("endraw", at: start) {
                stripNextText = afterOpen.stripAfter
                emitText(from: afterOpen.end, to: start, stripEnd: hasMinus(at: start + 2))
                stripNextText = close.stripAfter
                i = close.end
                return true
            }
            j = start + 1
        }
        throw error("unterminated raw block: expected '{% endraw %}'", at: tagStart)
    }

    private func matchRawTag(_ word: String, at tagStart: Int) -> (end: Int, stripAfter: Bool)? {
        var j = tagStart + 2
        if hasMarker(at: j) { j += 1 }
        while j < bytes.count && isSpace(bytes[j]) { j += 1 }
        for byte in word.utf8 {
            guard j < bytes.count && bytes[j] == byte else { return nil }
            j += 1
        }
        while j < bytes.count && isSpace(bytes[j]) { j += 1 }
        var strip = false
        if hasMarker(at: j) {
            strip = bytes[j] == UInt8(ascii: "-")
            j += 1
        }
        guard j + 1 < bytes.count, bytes[j] == UInt8(ascii: "%"), bytes[j + 1] == UInt8(ascii: "}")
        else { return nil }
        return (j + 2, strip)
    }

    /// Lexes expression tokens up to the tag's end (`%}` or `}}`), outside brackets only.
    private mutating func lexInside(tagStart: Int, closer: UInt8) throws {
        var depth = 0
        let endText = closer == UInt8(ascii: "%") ? "'%}'" : "'}}'"
        while true {
            while i < bytes.count && isSpace(bytes[i]) { i += 1 }
            guard i < bytes.count else {
                throw error("unterminated tag: expected \(endText)", at: tagStart)
            }
            if depth == 0, let end = tagEnd(at: i, closer: closer) {
                tokens.append(
                    Token(kind: closer == UInt8(ascii: "%") ? .blockEnd : .variableEnd, offset: i))
                stripNextText = bytes[i] == UInt8(ascii: "-")
                i = end
                return
            }
            let byte = bytes[i]
            if isNameStart(byte) {
                lexName()
            } else if isDigit(byte) {
                try lexNumber()
            } else if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") {
                try lexString()
            } else {
                let op = try lexOperator()
                if op == "(" || op == "[" || op == "{" { depth += 1 }
                if op == ")" || op == "]" || op == "}" { depth = max(0, depth - 1) }
            }
        }
    }

    private func tagEnd(at j: Int, closer: UInt8) -> Int? {
        var k = j
        if bytes[k] == UInt8(ascii: "-")
            || (bytes[k] == UInt8(ascii: "+") && closer == UInt8(ascii: "%"))
        {
            k += 1
        }
        if k + 1 < bytes.count && bytes[k] == closer && bytes[k + 1] == UInt8(ascii: "}") {
            return k + 2
        }
        return nil
    }

    private mutating func lexName() {
        let start = i
        while i < bytes.count && (isNameStart(bytes[i]) || isDigit(bytes[i])) { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        tokens.append(Token(kind: .name, offset: start, text: text))
    }

    private mutating func lexNumber() throws {
        let start = i
        if bytes[i] == UInt8(ascii: "0"), i + 1 < bytes.count,
            let radix = radix(of: bytes[i + 1])
        {
            i += 2
            let digitsStart = i
            while i < bytes.count && (isHexDigit(bytes[i]) || bytes[i] == UInt8(ascii: "_")) {
                i += 1
            }
            let digits = String(decoding: bytes[digitsStart..<i], as: UTF8.self).filter {
                $0 != "_"
            }
            guard let value = Int(digits, radix: radix) else {
                throw error("invalid number literal", at: start)
            }
            tokens.append(Token(kind: .int, offset: start, int: value))
            return
        }
        skipDigits()
        var isFloat = false
        let afterDot = tokens.last?.isOp(".") ?? false
        if !afterDot && i + 1 < bytes.count && bytes[i] == UInt8(ascii: ".")
            && isDigit(bytes[i + 1])
        {
            isFloat = true
            i += 1
            skipDigits()
        }
        if !afterDot && i < bytes.count
            && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E"))
        {
            var k = i + 1
            if k < bytes.count && (bytes[k] == UInt8(ascii: "+") || bytes[k] == UInt8(ascii: "-")) {
                k += 1
            }
            if k < bytes.count && isDigit(bytes[k]) {
                isFloat = true
                i = k
                skipDigits()
            }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self).filter { $0 != "_" }
        if isFloat {
            tokens.append(Token(kind: .float, offset: start, double: Double(text) ?? 0))
        } else {
            guard let value = Int(text) else { throw error("integer literal too large", at: start) }
            tokens.append(Token(kind: .int, offset: start, int: value))
        }
    }

    private mutating func skipDigits() {
        while i < bytes.count
            && (isDigit(bytes[i])
                || (bytes[i] == UInt8(ascii: "_")
                    && i + 1 < bytes.count && isDigit(bytes[i + 1])))
        {
            i += 1
        }
    }

    private func radix(of byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "x"), UInt8(ascii: "X"): return 16
        case UInt8(ascii: "o"), UInt8(ascii: "O"): return 8
        case UInt8(ascii: "b"), UInt8(ascii: "B"): return 2
        default: return nil
        }
    }

    private mutating func lexString() throws {
        let start = i
        let quote = bytes[i]
        i += 1
        var result: [UInt8] = []
        while i < bytes.count && bytes[i] != quote {
            if bytes[i] == UInt8(ascii: "\\") && i + 1 < bytes.count {
                try appendEscape(to: &result, stringStart: start)
            } else {
                result.append(bytes[i])
                i += 1
            }
        }
        guard i < bytes.count else { throw error("unterminated string", at: start) }
        i += 1
        tokens.append(
            Token(kind: .string, offset: start, text: String(decoding: result, as: UTF8.self)))
    }

    /// Decodes one backslash escape as Python's `unicode-escape` codec does.
    /// TODO(#2): `\N{NAME}` (a character by its Unicode name) is kept as
    /// written, where Python gives the character.
    private mutating func appendEscape(to result: inout [UInt8], stringStart: Int) throws {
        let escape = bytes[i + 1]
        i += 2
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "n"): 10, UInt8(ascii: "t"): 9, UInt8(ascii: "r"): 13,
            UInt8(ascii: "\\"): 92, UInt8(ascii: "'"): 39, UInt8(ascii: "\""): 34,
            UInt8(ascii: "a"): 7, UInt8(ascii: "b"): 8, UInt8(ascii: "f"): 12,
            UInt8(ascii: "v"): 11,
            UInt8(ascii: "\n"): 0,
        ]
        if let value = simple[escape] {
            if escape != UInt8(ascii: "\n") { result.append(value) }
            return
        }
        let hexLength: Int
        switch escape {
        case UInt8(ascii: "x"): hexLength = 2
        case UInt8(ascii: "u"): hexLength = 4
        case UInt8(ascii: "U"): hexLength = 8
        default:
            result.append(UInt8(ascii: "\\"))
            i -= 1
            return
        }
        guard i + hexLength <= bytes.count,
            let code = UInt32(String(decoding: bytes[i..<i + hexLength], as: UTF8.self), radix: 16),
            let scalar = Unicode.Scalar(code)
        else { throw error("invalid escape in string", at: i - 2) }
        i += hexLength
        result.append(contentsOf: String(Character(scalar)).utf8)
    }

    private mutating func lexOperator() throws -> String {
        let start = i
        let byte = bytes[i]
        let next: UInt8 = i + 1 < bytes.count ? bytes[i + 1] : 0
        let two: [String] = ["**", "//", "==", "!=", "<=", ">="]
        let pair = String(decoding: [byte, next], as: UTF8.self)
        if two.contains(pair) {
            i += 2
            tokens.append(Token(kind: .op, offset: start, text: pair))
            return pair
        }
        let single = "+-*/%~()[]{}=<>,.:|;"
        guard byte < 0x80, single.utf8.contains(byte) else {
            let scalar = String(decoding: bytes[i..<min(i + 4, bytes.count)], as: UTF8.self).first
            throw error("unexpected character '\(scalar.map(String.init) ?? "?")'", at: start)
        }
        i += 1
        let op = String(UnicodeScalar(byte))
        tokens.append(Token(kind: .op, offset: start, text: op))
        return op
    }
}

@inline(__always) func isSpace(_ b: UInt8) -> Bool {
    b == 32 || b == 9 || b == 10 || b == 13 || b == 11 || b == 12
}

@inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

@inline(__always) private func isHexDigit(_ b: UInt8) -> Bool {
    isDigit(b) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102) || b == UInt8(ascii: "_")
}

@inline(__always) private func isNameStart(_ b: UInt8) -> Bool {
    (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 || b >= 0x80
}
