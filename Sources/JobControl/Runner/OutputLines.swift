/// Whole ordinary lines of one stream that arrived in one read, handed on
/// as one event (`RunEvent.outputLines`) instead of one `.output` event a
/// line: a job printing a million short lines costs about a hundred events
/// (issue #4).
///
/// Each line is exactly what `.output(stream:text:raw:continued: false)`
/// would carry: secrets masked, without its newline and trailing `\r`, at
/// most `LineSplitter.pieceLimit` bytes; bytes that are not UTF-8 are kept
/// (`isUTF8` is false for such a line, and its text is decoded with U+FFFD).
public struct OutputLines: Sendable, Hashable {
    public let stream: LogStream
    /// The lines' bytes (with whatever lay between them in the read).
    public private(set) var bytes: [UInt8] = []
    /// Each line's place in `bytes`: its start in the high 32 bits, its end
    /// in the low ones.
    private(set) var spans: [UInt64] = []
    /// Indexes of the lines that are not valid UTF-8, ascending (set by `seal`).
    public private(set) var notUTF8: [Int] = []

    public init(stream: LogStream) {
        self.stream = stream
    }

    /// The lines of `texts`, for tests and replayed runs.
    public init(stream: LogStream, texts: [String]) {
        self.stream = stream
        for text in texts {
            var text = text
            text.withUTF8 { appendCopy($0) }
        }
        seal()
    }

    public var count: Int { spans.count }

    /// The length of line `index` (0 past the last).
    func count(at index: Int) -> Int {
        guard index < spans.count else { return 0 }
        let span = spans[index]
        return Int(span & 0xFFFF_FFFF) - Int(span >> 32)
    }
    public var isEmpty: Bool { spans.isEmpty }

    /// Adds one line (already masked, without newline), copying it.
    mutating func appendCopy(_ line: UnsafeBufferPointer<UInt8>) {
        let start = bytes.count
        if !line.isEmpty { bytes.append(contentsOf: line) }
        spans.append(Self.span(start, bytes.count))
    }

    @inline(__always)
    static func span(_ start: Int, _ end: Int) -> UInt64 {
        UInt64(truncatingIfNeeded: start) << 32 | UInt64(truncatingIfNeeded: end)
    }

    /// Finds the lines that are not UTF-8; one pass over the bytes when all
    /// are ASCII (nearly always).
    mutating func seal() {
        notUTF8 = []
        let allASCII = bytes.withUnsafeBufferPointer { Byte.isASCII($0) }
        guard !allASCII else { return }
        var invalid: [Int] = []
        forEachLine { index, line, _ in
            if !Byte.isASCII(line), String(validating: line, as: UTF8.self) == nil {
                invalid.append(index)
            }
        }
        notUTF8 = invalid
    }

    /// Calls `body` with each line from index `first` on: its index, its
    /// bytes, and whether they are UTF-8.
    public func forEachLine(
        from first: Int = 0, _ body: (Int, UnsafeBufferPointer<UInt8>, Bool) -> Void
    ) {
        bytes.withUnsafeBufferPointer { all in
            spans.withUnsafeBufferPointer { spans in
                var invalid = notUTF8.firstIndex { $0 >= first } ?? notUTF8.count
                for index in first..<spans.count {
                    let span = spans[index]
                    let start = Int(span >> 32), end = Int(span & 0xFFFF_FFFF)
                    var isUTF8 = true
                    if invalid < notUTF8.count, notUTF8[invalid] == index {
                        isUTF8 = false
                        invalid += 1
                    }
                    body(index, UnsafeBufferPointer(rebasing: all[start..<end]), isUTF8)
                }
            }
        }
    }

    /// The `.output` events these lines stand for, in order; only the last
    /// `limit` when given.
    public func events(last limit: Int? = nil) -> [RunEvent] {
        let first = limit.map { max(0, count - $0) } ?? 0
        var events: [RunEvent] = []
        events.reserveCapacity(count - first)
        forEachLine(from: first) { _, line, isUTF8 in
            let text = String(decoding: line, as: UTF8.self)
            let raw: [UInt8]? = isUTF8 ? nil : Array(line)
            events.append(.output(stream: stream, text: text, raw: raw, continued: false))
        }
        return events
    }

    /// Gathers the lines of one read: a line lying in the read is noted by
    /// its place, and each run of such lines is copied at once, so a line
    /// costs no copy of its own.
    struct Builder {
        private(set) var lines: OutputLines
        /// The run of lines not copied yet: where it starts and ends in the
        /// read, and the index of its first line.
        private var runStart = 0
        private var runEnd = 0
        private var runFirst = 0
        private var inRun = false

        init(stream: LogStream) {
            lines = OutputLines(stream: stream)
        }

        var isEmpty: Bool { lines.isEmpty }

        /// A line at `start..<end` of the read.
        @inline(__always)
        mutating func add(from start: Int, to end: Int) {
            if !inRun {
                inRun = true
                runStart = start
                runFirst = lines.spans.count
            }
            runEnd = end
            lines.spans.append(OutputLines.span(start, end))
        }

        /// A line from elsewhere (held across reads, or masked), copied.
        mutating func addCopy(
            _ line: UnsafeBufferPointer<UInt8>, read: UnsafeBufferPointer<UInt8>
        ) {
            copyRun(read)
            lines.appendCopy(line)
        }

        /// Copies the pending run out of `read` and moves its spans to the copy.
        private mutating func copyRun(_ read: UnsafeBufferPointer<UInt8>) {
            guard inRun else { return }
            inRun = false
            let shift = lines.bytes.count - runStart
            lines.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: read[runStart..<runEnd]))
            for index in runFirst..<lines.spans.count {
                let span = lines.spans[index]
                lines.spans[index] = OutputLines.span(
                    Int(span >> 32) + shift, Int(span & 0xFFFF_FFFF) + shift)
            }
        }

        /// The lines gathered so far; the builder starts empty again.
        mutating func take(_ read: UnsafeBufferPointer<UInt8>) -> OutputLines {
            copyRun(read)
            lines.seal()
            defer { lines = OutputLines(stream: lines.stream) }
            return lines
        }
    }
}
