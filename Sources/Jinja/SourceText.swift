/// A template's text as UTF-8 bytes, with the line table that turns byte
/// offsets into `line:column` positions.
///
/// Newlines are normalised to `\n` and one trailing newline is dropped, as
/// Jinja does with its default `keep_trailing_newline=False`. Columns count
/// Unicode scalars, as libyaml does, so rendered and template columns agree.
final class SourceText: Sendable {
    let name: String
    let bytes: [UInt8]
    /// Byte offset of the first byte of each line.
    let lineStarts: [Int]

    init(name: String, text: String) {
        self.name = name
        var bytes = Array(text.utf8)
        if bytes.contains(UInt8(ascii: "\r")) { bytes = SourceText.normalizingNewlines(bytes) }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        self.bytes = bytes
        self.lineStarts = SourceText.lineStarts(of: bytes)
    }

    static func lineStarts(of bytes: [UInt8]) -> [Int] {
        var starts: [Int] = [0]
        starts.reserveCapacity(bytes.count / 32 + 1)
        for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(i + 1)
        }
        return starts
    }

    private static func normalizingNewlines(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\r") {
                result.append(UInt8(ascii: "\n"))
                if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
            } else {
                result.append(byte)
            }
            i += 1
        }
        return result
    }

    /// The `line:column` of a byte offset (clamped to the text).
    func position(of offset: Int) -> SourcePosition {
        let (line, column) = SourceText.lineAndColumn(of: offset, in: bytes, lineStarts: lineStarts)
        return SourcePosition(file: name, line: line, column: column)
    }

    static func lineAndColumn(
        of offset: Int, in bytes: [UInt8], lineStarts: [Int]
    ) -> (line: Int, column: Int) {
        let offset = max(0, min(offset, bytes.count))
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        var column = 1
        var i = lineStarts[low]
        while i < offset {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return (low + 1, column)
    }

    /// The byte offset of `line:column` (1-based), or nil past the end.
    static func offset(
        line: Int, column: Int, in bytes: UnsafeBufferPointer<UInt8>, lineStarts: [Int]
    ) -> Int? {
        guard line >= 1 && line <= lineStarts.count else { return nil }
        var i = lineStarts[line - 1]
        var remaining = column - 1
        while remaining > 0 && i < bytes.count && bytes[i] != UInt8(ascii: "\n") {
            i += 1
            while i < bytes.count && bytes[i] & 0xC0 == 0x80 { i += 1 }
            remaining -= 1
        }
        return i
    }
}
