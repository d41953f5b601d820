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
    /// The lines' bytes back to back.
    public private(set) var bytes: [UInt8] = []
    /// Where each line ends in `bytes`; it starts where the one before ended.
    public private(set) var ends: [UInt32] = []
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
            text.withUTF8 { append($0) }
        }
        seal()
    }

    public var count: Int { ends.count }
    public var isEmpty: Bool { ends.isEmpty }

    /// Adds one line (already masked, without newline).
    @inline(__always)
    mutating func append(_ line: UnsafeBufferPointer<UInt8>) {
        if !line.isEmpty { bytes.append(contentsOf: line) }
        ends.append(UInt32(truncatingIfNeeded: bytes.count))
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

    /// Empties the lines, keeping the storage.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        notUTF8.removeAll()
    }

    /// Calls `body` with each line from index `first` on: its index, its
    /// bytes, and whether they are UTF-8.
    public func forEachLine(
        from first: Int = 0, _ body: (Int, UnsafeBufferPointer<UInt8>, Bool) -> Void
    ) {
        bytes.withUnsafeBufferPointer { all in
            ends.withUnsafeBufferPointer { ends in
                var start = first == 0 ? 0 : Int(ends[first - 1])
                var invalid = notUTF8.firstIndex { $0 >= first } ?? notUTF8.count
                for index in first..<ends.count {
                    let end = Int(ends[index])
                    var isUTF8 = true
                    if invalid < notUTF8.count, notUTF8[invalid] == index {
                        isUTF8 = false
                        invalid += 1
                    }
                    body(index, UnsafeBufferPointer(rebasing: all[start..<end]), isUTF8)
                    start = end
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
            events.append(
                .output(stream: stream, text: text, raw: isUTF8 ? nil : Array(line), continued: false))
        }
        return events
    }
}
