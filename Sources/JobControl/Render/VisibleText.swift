/// Job output made safe to print on a terminal: a job's text must not be
/// able to move the cursor, clear the screen or retitle the window of
/// whoever reads its log.
public enum VisibleText {
    /// `text` with every line escaped and its newlines kept.
    public static func escapedLines(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A || $0 == 0x7F || $0 == 0xC2 })
        else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { escaped(String($0)) }.joined(separator: "\n")
    }

    /// jcrun's own message lines (which quote ids, values and names from job
    /// files and the command line) with every character that would act or
    /// hide shown as an escape: C0 but tab and newline, DEL and C1 as `\x1b`
    /// and `\x85`; invisible formatting characters (a zero-width space, a
    /// right-to-left override) and line and paragraph separators as `\u200b`.
    public static func escapedMessage(_ text: String) -> String {
        let plain = text.utf8.allSatisfy {
            ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A || $0 == 0x09
        }
        if plain { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0x0A || value == 0x09 {
                result.unicodeScalars.append(scalar)
            } else if value < 0x20 || (0x7F...0x9F).contains(value) {
                let hex = String(value, radix: 16)
                result += value < 0x10 ? "\\x0" + hex : "\\x" + hex
            } else if value > 0x9F, Self.isHidden(scalar) {
                let hex = String(value, radix: 16)
                result += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// A line's exact bytes made visible: what is UTF-8 is shown as text
    /// (controls escaped as `escaped` does), each byte that is not as `\xff`,
    /// where decoding would have shown U+FFFD and hidden which byte it was.
    public static func escaped(bytes: [UInt8]) -> String {
        var text = ""
        text.reserveCapacity(bytes.count + 8)
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                text.unicodeScalars.append(Unicode.UTF8.decode(encoded))
                offset += encoded.count
            case .error(let length):
                for byte in bytes[offset..<offset + length] {
                    text += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
                }
                offset += length
            case .emptyInput:
                return escaped(text)
            }
        }
    }

    /// `line` with C0 controls but tab, DEL and C1 controls written as `\x1b`,
    /// and the bidirectional overrides and isolates (U+202A-202E,
    /// U+2066-2069, which can reorder what a terminal shows) as `\u202e`.
    /// Lines without them (nearly all) come back unchanged, without copying.
    public static func escaped(_ line: String) -> String {
        guard
            line.utf8.contains(where: {
                $0 < 0x20 && $0 != 0x09 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2
            })
        else { return line }
        var result = ""
        result.reserveCapacity(line.utf8.count + 8)
        for scalar in line.unicodeScalars {
            let value = scalar.value
            if (value < 0x20 && value != 0x09) || (0x7F...0x9F).contains(value) {
                let hex = String(value, radix: 16)
                result += value < 0x10 ? "\\x0" + hex : "\\x" + hex
            } else if (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) {
                result += "\\u" + String(value, radix: 16)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
