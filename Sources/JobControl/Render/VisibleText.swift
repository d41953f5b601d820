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

    /// `line` with C0 controls but tab, DEL and C1 controls written as `\x1b`.
    /// Lines without them (nearly all) come back unchanged, without copying.
    public static func escaped(_ line: String) -> String {
        guard line.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F || $0 == 0xC2 })
        else { return line }
        var result = ""
        result.reserveCapacity(line.utf8.count + 8)
        for scalar in line.unicodeScalars {
            let value = scalar.value
            if (value < 0x20 && value != 0x09) || (0x7F...0x9F).contains(value) {
                let hex = String(value, radix: 16)
                result += value < 0x10 ? "\\x0" + hex : "\\x" + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
