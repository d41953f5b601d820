import Foundation

/// Python's `textwrap.wrap` as Jinja's `wordwrap` calls it: no tab
/// expansion, whitespace kept, whitespace dropped at line ends, no indents.
enum TextWrap {
    /// textwrap's `wordsep_re`: whitespace runs, em-dashes, and words split
    /// after hyphens between letters (Python's `\Z` is ICU's `\z`).
    private static let wordSeparator: NSRegularExpression = {
        let ws = "[\\t\\n\\x0b\\x0c\\r ]"
        let nws = "[^\\t\\n\\x0b\\x0c\\r ]"
        let wp = "[\\w!\"'&.,?]"
        let lt = "[^\\d\\W]"
        let pattern =
            "(" + ws + "+"
            + "|(?<=" + wp + ")-{2,}(?=\\w)"
            + "|" + nws + "+?(?:"
            + "-(?:(?<=" + lt + "{2}-)|(?<=" + lt + "-" + lt + "-))(?=" + lt + "-?" + lt + ")"
            + "|(?=" + ws + "|\\z)"
            + "|(?<=" + wp + ")(?=-{2,}\\w)"
            + "))"
        // The pattern is fixed; it compiles or the build's tests fail.
        return try! NSRegularExpression(pattern: pattern)
    }()

    /// textwrap's `wordsep_simple_re`: whitespace runs only.
    private static let whitespaceSeparator: NSRegularExpression = {
        try! NSRegularExpression(pattern: "([\\t\\n\\x0b\\x0c\\r ]+)")
    }()

    /// `re.split` with the whole pattern captured, empty pieces dropped.
    static func chunks(_ text: String, breakOnHyphens: Bool) -> [[Unicode.Scalar]] {
        let regex = breakOnHyphens ? wordSeparator : whitespaceSeparator
        let whole = NSRange(text.startIndex..<text.endIndex, in: text)
        var pieces: [[Unicode.Scalar]] = []
        var last = text.startIndex
        for match in regex.matches(in: text, range: whole) {
            guard let range = Range(match.range, in: text) else { continue }
            if last < range.lowerBound { pieces.append(Array(text[last..<range.lowerBound].unicodeScalars)) }
            if !range.isEmpty { pieces.append(Array(text[range].unicodeScalars)) }
            last = range.upperBound
        }
        if last < text.endIndex { pieces.append(Array(text[last...].unicodeScalars)) }
        return pieces
    }

    private static func isBlank(_ chunk: [Unicode.Scalar]) -> Bool {
        chunk.allSatisfy(isPythonSpace)
    }

    /// `textwrap.wrap(text, width, expand_tabs=False, replace_whitespace=False,
    /// break_long_words=..., break_on_hyphens=...)`; `width` is above 0.
    static func wrap(
        _ text: String, width: Int, breakLongWords: Bool, breakOnHyphens: Bool
    ) -> [String] {
        var chunks = Array(chunks(text, breakOnHyphens: breakOnHyphens).reversed())
        var lines: [String] = []
        while !chunks.isEmpty {
            var line: [[Unicode.Scalar]] = []
            var length = 0
            if let next = chunks.last, isBlank(next), !lines.isEmpty { chunks.removeLast() }
            while let next = chunks.last, length + next.count <= width {
                line.append(chunks.removeLast())
                length += next.count
            }
            if let next = chunks.last, next.count > width {
                let spaceLeft = width - length
                if breakLongWords {
                    var end = spaceLeft
                    if breakOnHyphens, next.count > spaceLeft,
                        let hyphen = next[0..<spaceLeft].lastIndex(of: "-"), hyphen > 0,
                        next[0..<hyphen].contains(where: { $0 != "-" })
                    {
                        end = hyphen + 1
                    }
                    line.append(Array(next[0..<end]))
                    chunks[chunks.count - 1] = Array(next[end...])
                } else if line.isEmpty {
                    line.append(chunks.removeLast())
                }
            }
            if let lastChunk = line.last, isBlank(lastChunk) { line.removeLast() }
            if !line.isEmpty {
                var view = String.UnicodeScalarView()
                for chunk in line { view.append(contentsOf: chunk) }
                lines.append(String(view))
            }
        }
        return lines
    }
}
