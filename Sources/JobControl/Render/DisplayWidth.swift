/// How many terminal columns text takes: East Asian wide and fullwidth
/// characters (CJK, Hangul, fullwidth forms, most emoji) take two, every
/// other character one, and ANSI escape sequences (`ESC [ ... letter`) none.
public enum DisplayWidth {
    public static func of(_ text: String) -> Int {
        // Printable ASCII (most ids, titles and labels): a column per byte,
        // without splitting the text into characters.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text.utf8.count }
        var width = 0
        var inEscape = false
        for character in text {
            if inEscape {
                // The final byte of a CSI sequence is in @...~; `[` opens it.
                if let ascii = character.asciiValue, ascii >= 0x40, ascii <= 0x7E, character != "[" {
                    inEscape = false
                }
                continue
            }
            if character == "\u{1B}" {
                inEscape = true
                continue
            }
            width += isWide(character) ? 2 : 1
        }
        return width
    }

    /// `text` padded with spaces to `width` columns.
    public static func pad(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - of(text)))
    }

    /// `text` cut to at most `width` columns, `…` marking a cut.
    public static func truncate(_ text: String, to width: Int) -> String {
        guard of(text) > width else { return text }
        guard width > 0 else { return "" }
        var result = ""
        var used = 0
        for character in text {
            let size = isWide(character) ? 2 : 1
            if used + size > width - 1 { break }
            result.append(character)
            used += size
        }
        return result + "…"
    }

    /// Two columns: East Asian wide and fullwidth characters (Unicode's
    /// EastAsianWidth W and F: CJK, Hangul, kana, fullwidth forms) and emoji
    /// drawn as emoji (`Emoji_Presentation`, such as 🚀, or any emoji
    /// followed by the variation selector U+FE0F, such as ❤️).
    static func isWide(_ character: Character) -> Bool {
        let scalars = character.unicodeScalars
        guard let scalar = scalars.first else { return false }
        // `1️⃣`, `❤️`: an emoji asked to be drawn as one.
        if scalars.count > 1 && scalars.contains("\u{FE0F}") && scalar.properties.isEmoji {
            return true
        }
        guard scalar.value >= 0x1100 else { return false }
        if wideRanges.contains(where: { $0.contains(scalar.value) }) { return true }
        return scalar.properties.isEmojiPresentation
    }

    /// EastAsianWidth.txt's W and F ranges that are not emoji.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF,
        0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
        0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18CFF,
        0x1B000...0x1B2FF, 0x1F200...0x1F202, 0x1F210...0x1F23B, 0x1F240...0x1F248,
        0x1F250...0x1F251, 0x1F260...0x1F265, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]
}
