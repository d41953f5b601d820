import Foundation

/// Builds the `data` of a `LogChunk` line by line, with no allocation per
/// line: the bytes are copied into one growing buffer.
///
/// The format (version 1), integers as LEB128 varints, signed ones zigzagged:
///
///     data   = 0x01 varint(first seq) zigzag(first time) line*
///     line   = varint(flags) [varint(gap)] [zigzag(time delta)] varint(length) bytes
///     flags  = bits 0-1 stream code, 2-4 level rank, 5 continued,
///              6 the time differs from the line before (delta follows),
///              7 the bytes are not UTF-8 (kept exactly: the entry's `raw`),
///              8 the seq is not the one before plus 1 (gap - 1 follows)
///
/// So a stdout line at `info` whose time repeats costs two bytes beside its
/// text; a new time adds one to three more.
struct LogChunkEncoder {
    /// A chunk holds lines until about this many bytes; one longer line
    /// (up to 64 KiB, `LineSplitter.pieceLimit`) gets a chunk of its own.
    static let targetSize = 64 * 1024
    static let formatVersion: UInt8 = 1
    /// Room kept for a line's flags, gap, time and length.
    static let lineOverhead = 24
    /// The most a chunk holds: its start and one line of
    /// `LineSplitter.pieceLimit` bytes with its fields.
    static let fullSize = targetSize + 128
    /// Room for a chunk, made by copying.
    private static let zeros = [UInt8](repeating: 0, count: fullSize)

    let build: BuildID
    private(set) var data: [UInt8] = []
    private(set) var lineCount = 0
    private(set) var firstSeq: Int64 = 0
    /// The seq of the last line, nil before the first.
    private(set) var lastSeq: Int64?
    /// The seq `appendNext` gives the next line; it goes on across `seal`.
    private(set) var nextSeq: Int64 = 1
    private var lastTime: Int64 = 0
    private var minTime: Int64 = 0
    private var maxTime: Int64 = 0
    private var levels = 0
    private var streams = 0

    init(build: BuildID) {
        self.build = build
    }

    var byteCount: Int { data.count }

    /// Whether a line of `count` bytes still fits (an empty chunk takes any).
    func hasRoom(for count: Int) -> Bool {
        lineCount == 0 || data.count + count + Self.lineOverhead <= Self.targetSize
    }

    /// Adds one line; `seq` must be above the last one's.
    mutating func append(
        seq: Int64, time: Int64, stream: Int, level: Int, bytes: UnsafeBufferPointer<UInt8>,
        isRaw: Bool, continued: Bool
    ) {
        if lineCount == 0 { start(seq: seq, time: time) }
        var flags = UInt64(stream) | UInt64(level) << 2
        if continued { flags |= 1 << 5 }
        if time != lastTime { flags |= 1 << 6 }
        if isRaw { flags |= 1 << 7 }
        let gap = seq - (lastSeq ?? (seq - 1)) - 1
        if gap != 0 { flags |= 1 << 8 }
        writeVarint(flags)
        if gap != 0 { writeVarint(UInt64(gap)) }
        if time != lastTime {
            writeZigzag(time &- lastTime)
            lastTime = time
            if time < minTime { minTime = time }
            if time > maxTime { maxTime = time }
        }
        writeVarint(UInt64(bytes.count))
        data.append(contentsOf: bytes)
        lastSeq = seq
        lineCount += 1
        levels |= 1 << level
        streams |= 1 << stream
    }

    /// Adds the next line of a build being recorded, numbered `nextSeq`;
    /// when it does not fit, first seals the lines before it and returns
    /// them. Also returns how many bytes the data grew by (one call, so a
    /// caller holding the encoder in a class accesses it once per line).
    mutating func appendNext(
        time: Int64, stream: Int, level: Int, bytes: UnsafeBufferPointer<UInt8>, isRaw: Bool,
        continued: Bool
    ) -> (sealed: LogChunk?, grown: Int) {
        let sealed: LogChunk? = hasRoom(for: bytes.count) ? nil : seal()
        if lineCount == 0 { reserveFullSize() }
        let before = data.count
        append(
            seq: nextSeq, time: time, stream: stream, level: level, bytes: bytes, isRaw: isRaw,
            continued: continued)
        nextSeq += 1
        return (sealed, data.count - before)
    }

    /// Adds whole lines of `lines` at `level` and `time`, from the one
    /// starting at byte `offset` of `lines.bytes` on, numbered from
    /// `nextSeq`, while they fit (an empty chunk takes at least one);
    /// returns the offset of the first line not added. One pass over the
    /// bytes: each line's end is found eight bytes at a time, its ASCII
    /// check on the way, and it is written straight into the data.
    mutating func appendLines(
        _ lines: OutputLines, from offset: Int, time: Int64, level: Int
    ) -> Int {
        let stream = Self.streamCode(lines.stream)
        if lineCount == 0 { start(seq: nextSeq, time: time) }
        let oldCount = data.count
        let empty = lineCount == 0
        // Room for every line left (at most twice its held form: a line of
        // n bytes and its `\n` take n + 2 to 5 bytes), or up to the target
        // size; an empty chunk has room for its first line whatever its size.
        let estimate = 2 * (lines.bytes.count - offset) + 32
        let room = max((empty ? Self.fullSize : Self.targetSize + Self.lineOverhead) - oldCount, 0)
        data.append(contentsOf: Self.zeros[..<min(estimate, room)])  // a copy, not a loop
        var added = 0
        var written = oldCount
        var next = offset
        var lastTime = self.lastTime
        let baseFlags = UInt64(stream) | UInt64(level) << 2
        data.withUnsafeMutableBufferPointer { out in
            lines.bytes.withUnsafeBufferPointer { all in
                guard let source = all.baseAddress, let target = out.baseAddress else { return }
                let limit = out.count
                while next < all.count {
                    let (newline, ascii) = Self.lineEnd(all, from: next)
                    var length = newline - next
                    if length > 0, source[newline - 1] == Byte.cr { length -= 1 }
                    let need = length + Self.lineOverhead
                    if !empty || added > 0, written + need > Self.targetSize { break }
                    if written + length + 16 > limit { break }  // flags, time, length
                    let line = UnsafeBufferPointer(start: source + next, count: length)
                    var flags = baseFlags
                    if time != lastTime { flags |= 1 << 6 }
                    if !ascii, !OutputLines.isUTF8(line) { flags |= 1 << 7 }
                    Self.putVarint(flags, out, &written)
                    if time != lastTime {
                        Self.putVarint(Self.zigzag(time &- lastTime), out, &written)
                        lastTime = time
                    }
                    Self.putVarint(UInt64(length), out, &written)
                    if length > 0 {
                        (target + written).update(from: source + next, count: length)
                        written += length
                    }
                    added += 1
                    next = newline + 1
                }
            }
        }
        data.removeLast(data.count - written)
        self.lastTime = lastTime
        if added > 0 {
            if time < minTime { minTime = time }
            if time > maxTime { maxTime = time }
            lastSeq = nextSeq + Int64(added) - 1
            nextSeq += Int64(added)
            lineCount += added
            levels |= 1 << level
            streams |= 1 << stream
        }
        return next
    }

    /// The `\n` ending the line held at `start` of `all` (every held line
    /// has one), and whether the bytes before it are all ASCII; eight bytes
    /// at a time.
    @inline(__always)
    private static func lineEnd(_ all: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int, Bool) {
        let raw = UnsafeRawPointer(all.baseAddress!)
        let newlines: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var high: UInt64 = 0
        var at = start
        while at + 8 <= all.count {
            let word = raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            let x = word ^ newlines
            // The lowest flagged byte is the first `\n` (flags above it may be false).
            let found = (x &- ones) & ~x & highs
            if found != 0 {
                let bytes = found.trailingZeroBitCount >> 3
                high |= word & ((1 << UInt64(bytes * 8)) &- 1)
                return (at + bytes, high & highs == 0)
            }
            high |= word
            at += 8
        }
        while all[at] != Byte.newline {
            high |= UInt64(all[at])
            at += 1
        }
        return (at, high & highs == 0)
    }

    @inline(__always)
    private static func putVarint(
        _ value: UInt64, _ out: UnsafeMutableBufferPointer<UInt8>, _ at: inout Int
    ) {
        var rest = value
        while rest >= 0x80 {
            out[at] = UInt8(truncatingIfNeeded: rest) | 0x80
            at += 1
            rest >>= 7
        }
        out[at] = UInt8(truncatingIfNeeded: rest)
        at += 1
    }

    @inline(__always)
    private static func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// Adds a stored entry.
    mutating func append(_ entry: LogEntry) {
        let time = SQLiteStatement.micros(entry.time)
        let stream = Self.streamCode(entry.stream), level = Self.levelCode(entry.level)
        if let raw = entry.raw {
            raw.withUnsafeBufferPointer {
                append(
                    seq: entry.seq, time: time, stream: stream, level: level, bytes: $0,
                    isRaw: true, continued: entry.continued)
            }
        } else {
            var text = entry.text
            text.withUTF8 {
                append(
                    seq: entry.seq, time: time, stream: stream, level: level, bytes: $0,
                    isRaw: false, continued: entry.continued)
            }
        }
    }

    /// Adds a line decoded from another chunk, unchanged.
    mutating func append(_ line: LogChunkLine) {
        append(
            seq: line.seq, time: line.time, stream: line.stream, level: line.level,
            bytes: line.bytes, isRaw: line.isRaw, continued: line.continued)
    }

    /// The chunk of the lines added so far; the encoder starts empty again.
    mutating func seal() -> LogChunk {
        let chunk = LogChunk(
            build: build, firstSeq: firstSeq, lastSeq: lastSeq ?? firstSeq, lineCount: lineCount,
            minTime: minTime, maxTime: maxTime, levels: levels, streams: streams, data: data)
        data = []
        lineCount = 0
        lastSeq = nil
        levels = 0
        streams = 0
        return chunk
    }

    /// Makes room for a whole chunk, so appending lines that fit
    /// (`hasRoom`) never reallocates.
    mutating func reserveFullSize() {
        data.reserveCapacity(Self.fullSize)
    }

    private mutating func start(seq: Int64, time: Int64) {
        data.append(Self.formatVersion)
        writeVarint(UInt64(bitPattern: seq))
        writeZigzag(time)
        firstSeq = seq
        lastTime = time
        minTime = time
        maxTime = time
    }

    @inline(__always)
    private mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            data.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        data.append(UInt8(truncatingIfNeeded: rest))
    }

    @inline(__always)
    private mutating func writeZigzag(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    // MARK: Codes

    /// The stored rank of a level: 0 debug ... 4 critical.
    static func levelCode(_ level: LogLevel) -> Int {
        switch level {
        case .debug: 0
        case .info: 1
        case .warning: 2
        case .error: 3
        case .critical: 4
        }
    }

    /// The stored code of a stream: 0 stdout, 1 stderr, 2 jcrun, 3 log
    /// (schema 6 on; older chunks hold `@log` entries as jcrun).
    static func streamCode(_ stream: LogStream) -> Int {
        switch stream {
        case .stdout: 0
        case .stderr: 1
        case .jcrun: 2
        case .log: 3
        }
    }
}
