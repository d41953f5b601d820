import Glibc

/// Whole ordinary lines of one stream that arrived in one read, handed on
/// as one event (`RunEvent.outputLines`) instead of one `.output` event a
/// line: a job printing a million short lines costs about a hundred events
/// (issue #4).
///
/// Each line is exactly what `.output(stream:text:raw:continued: false)`
/// would carry: secrets masked, without its newline and trailing `\r`, at
/// most `LineSplitter.pieceLimit` bytes; bytes that are not UTF-8 are kept
/// (such a line's text is decoded with U+FFFD, and its `raw` holds them).
///
/// The lines are held as printed: each followed by `\n`, and one `\r`
/// before that `\n` is not part of the line. So the whole lines of a read
/// (nearly always) are one copy of the read's bytes, and nothing is done
/// per line until the lines are used (`LogChunkEncoder.appendLines` encodes
/// them in one pass; observers read only the tail they keep).
public struct OutputLines: Sendable, Hashable {
    public let stream: LogStream
    /// The lines, each ended by `\n` (after an extra `\r` when the line
    /// itself ends with `\r`).
    public private(set) var bytes: [UInt8] = []
    public private(set) var count = 0

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
    }

    /// `count` lines read as printed: `printed` holds them each ended by
    /// `\n` (one `\r` before it dropped), none longer than
    /// `LineSplitter.pieceLimit`, none masked nor a directive.
    init(stream: LogStream, printed: UnsafeBufferPointer<UInt8>, count: Int) {
        self.stream = stream
        self.bytes = Array(printed)
        self.count = count
    }

    public var isEmpty: Bool { count == 0 }

    /// Adds one line (already masked, without newline), copying it.
    mutating func appendCopy(_ line: UnsafeBufferPointer<UInt8>) {
        if !line.isEmpty { bytes.append(contentsOf: line) }
        if line.last == Byte.cr { bytes.append(Byte.cr) }  // read back without one `\r`
        bytes.append(Byte.newline)
        count += 1
    }

    /// Adds `count` lines held as printed (see `init(stream:printed:count:)`).
    mutating func appendPrinted(_ printed: UnsafeBufferPointer<UInt8>, count: Int) {
        bytes.append(contentsOf: printed)
        self.count += count
    }

    /// Indexes of the lines that are not valid UTF-8, ascending.
    public var notUTF8: [Int] {
        var invalid: [Int] = []
        forEachLine { index, _, isUTF8 in
            if !isUTF8 { invalid.append(index) }
        }
        return invalid
    }

    /// Calls `body` with each line from index `first` on: its index, its
    /// bytes, and whether they are UTF-8.
    public func forEachLine(
        from first: Int = 0, _ body: (Int, UnsafeBufferPointer<UInt8>, Bool) -> Void
    ) {
        guard first < count else { return }
        bytes.withUnsafeBufferPointer { all in
            var index = first
            var start = first == 0 ? 0 : Self.startOfLine(all, fromEnd: count - first)
            while start < all.count, let end = Self.lineEnd(all, from: start) {
                let line = Self.line(all, start, end)
                body(index, line, Byte.isASCII(line) || Self.isUTF8(line))
                index += 1
                start = end + 1
            }
        }
    }

    /// The `.output` events these lines stand for, in order; only the last
    /// `limit` when given (found from the end, without reading the others).
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

    // MARK: Reading the held form

    /// Where the `\n` ending the line that starts at `start` is.
    @inline(__always)
    static func lineEnd(_ all: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < all.count, let base = all.baseAddress,
            let found = memchr(base + start, Int32(Byte.newline), all.count - start)
        else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// The line at `start..<end` (`end` its `\n`), without one trailing `\r`.
    @inline(__always)
    static func line(_ all: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int)
        -> UnsafeBufferPointer<UInt8>
    {
        var stop = end
        if stop > start, all[stop - 1] == Byte.cr { stop -= 1 }
        return UnsafeBufferPointer(rebasing: all[start..<stop])
    }

    /// The start of the `lines`-th line counted from the end (1: the last).
    static func startOfLine(_ all: UnsafeBufferPointer<UInt8>, fromEnd lines: Int) -> Int {
        var seen = 0
        var index = all.count - 1  // the last line's `\n`
        while index > 0 {
            index -= 1
            if all[index] == Byte.newline {
                seen += 1
                if seen == lines { return index + 1 }
            }
        }
        return 0
    }

    static func isUTF8(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        String(validating: line, as: UTF8.self) != nil
    }

    /// How many lines `printed` holds when it can be taken as it is
    /// (`init(stream:printed:count:)`): every line ends with `\n`, and with
    /// `directives` none starts with `@`; nil otherwise. Eight bytes at a time.
    static func plainLineCount(_ printed: UnsafeBufferPointer<UInt8>, directives: Bool) -> Int? {
        guard let base = printed.baseAddress, printed.last == Byte.newline else { return nil }
        if directives {
            // A directive, an `@@` escape or an unknown word: the line-by-line path decides.
            if base[0] == Byte.at { return nil }
            var from = 0
            while let found = memchr(base + from, Int32(Byte.at), printed.count - from) {
                let at = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if base[at - 1] == Byte.newline { return nil }
                from = at + 1
            }
        }
        let raw = UnsafeRawPointer(base)
        let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var lines = 0
        var offset = 0
        while offset + 8 <= printed.count {
            // Exact per byte: the high bit is set where the byte is `\n`.
            let x = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) ^ newlines
            let found = ~(((x & low7) &+ low7) | x | low7)
            lines += found.nonzeroBitCount
            offset += 8
        }
        while offset < printed.count {
            if base[offset] == Byte.newline { lines += 1 }
            offset += 1
        }
        return lines
    }

    /// Gathers the lines of one read on the line-by-line path: each run of
    /// lines lying one after the other in the read is copied at once, as
    /// printed, so a line costs no copy of its own.
    struct Builder {
        private(set) var lines: OutputLines
        /// The run of lines not copied yet: where it starts and ends (after
        /// its last `\n`) in the read, and how many lines it holds.
        private var runStart = 0
        private var runEnd = 0
        private var runCount = 0

        init(stream: LogStream) {
            lines = OutputLines(stream: stream)
        }

        var isEmpty: Bool { lines.isEmpty && runCount == 0 }

        /// The line starting at `start` of `read`, given without its `\r`
        /// (`length` bytes), which a `\n` ends inside the read.
        @inline(__always)
        mutating func add(from start: Int, length: Int, read: UnsafeBufferPointer<UInt8>) {
            var newline = start + length
            if read[newline] != Byte.newline { newline += 1 }  // a `\r` was dropped
            if runCount > 0, start != runEnd { copyRun(read) }
            if runCount == 0 { runStart = start }
            runEnd = newline + 1
            runCount += 1
        }

        /// A line from elsewhere (held across reads, or masked), copied.
        mutating func addCopy(
            _ line: UnsafeBufferPointer<UInt8>, read: UnsafeBufferPointer<UInt8>
        ) {
            copyRun(read)
            lines.appendCopy(line)
        }

        /// Copies the pending run out of `read`.
        private mutating func copyRun(_ read: UnsafeBufferPointer<UInt8>) {
            guard runCount > 0 else { return }
            lines.appendPrinted(UnsafeBufferPointer(rebasing: read[runStart..<runEnd]), count: runCount)
            runCount = 0
        }

        /// The lines gathered so far; the builder starts empty again.
        mutating func take(_ read: UnsafeBufferPointer<UInt8>) -> OutputLines {
            copyRun(read)
            defer { lines = OutputLines(stream: lines.stream) }
            return lines
        }
    }
}
