import Foundation

/// One line of a chunk as decoded: its bytes point into the chunk's data and
/// are valid only during the callback.
struct LogChunkLine {
    var seq: Int64
    /// µs since 1970-01-01 UTC.
    var time: Int64
    var stream: Int
    var level: Int
    var continued: Bool
    /// The bytes are not UTF-8 (the entry keeps them as `raw`).
    var isRaw: Bool
    var bytes: UnsafeBufferPointer<UInt8>

    func entry(build: BuildID) -> LogEntry {
        LogEntry(
            build: build, seq: seq, time: SQLiteStatement.date(micros: time),
            stream: LogChunkDecoder.streams[stream], level: LogChunkDecoder.levels[level],
            text: String(decoding: bytes, as: UTF8.self), raw: isRaw ? Array(bytes) : nil,
            continued: continued)
    }
}

/// Reads the lines of a chunk's data (the format is `LogChunkEncoder`'s),
/// checking every length against the data so damage is an error, not a crash.
enum LogChunkDecoder {
    static let streams: [LogStream] = [.stdout, .stderr, .jcrun, .log]
    static let levels: [LogLevel] = [.debug, .info, .warning, .error, .critical]

    /// Calls `body` with each line in order until it returns false.
    ///
    /// - Throws: `StoreError.engine` naming the build when the data is damaged.
    static func forEachLine(
        in data: UnsafeBufferPointer<UInt8>, build: BuildID,
        _ body: (LogChunkLine) throws -> Bool
    ) throws {
        var reader = Reader(data: data)
        guard let version = reader.byte(), version == LogChunkEncoder.formatVersion,
            let first = reader.varint(), let firstTime = reader.zigzag()
        else { throw damaged(build, at: 0) }
        var line = LogChunkLine(
            seq: Int64(bitPattern: first) - 1, time: firstTime, stream: 0, level: 0,
            continued: false, isRaw: false, bytes: UnsafeBufferPointer(start: nil, count: 0))
        while !reader.atEnd {
            let start = reader.offset
            guard let flags = reader.varint(), flags < 1 << 9 else { throw damaged(build, at: start) }
            line.stream = Int(flags & 3)
            line.level = Int(flags >> 2 & 7)
            guard line.stream < streams.count, line.level < levels.count else {
                throw damaged(build, at: start)
            }
            line.continued = flags & 1 << 5 != 0
            line.isRaw = flags & 1 << 7 != 0
            line.seq += 1
            if flags & 1 << 8 != 0 {
                guard let gap = reader.varint() else { throw damaged(build, at: start) }
                line.seq &+= Int64(bitPattern: gap)
            }
            if flags & 1 << 6 != 0 {
                guard let delta = reader.zigzag() else { throw damaged(build, at: start) }
                line.time &+= delta
            }
            guard let length = reader.varint(), let bytes = reader.bytes(length) else {
                throw damaged(build, at: start)
            }
            line.bytes = bytes
            if try !body(line) { return }
        }
    }

    private static func damaged(_ build: BuildID, at offset: Int) -> StoreError {
        .engine(message: "build #\(build): a stored log chunk is damaged at byte \(offset)")
    }

    /// A cursor over the data.
    private struct Reader {
        let data: UnsafeBufferPointer<UInt8>
        var offset = 0

        var atEnd: Bool { offset >= data.count }

        mutating func byte() -> UInt8? {
            guard offset < data.count else { return nil }
            defer { offset += 1 }
            return data[offset]
        }

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while offset < data.count, shift < 64 {
                let byte = data[offset]
                offset += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }

        mutating func zigzag() -> Int64? {
            guard let raw = varint() else { return nil }
            return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
        }

        mutating func bytes(_ count: UInt64) -> UnsafeBufferPointer<UInt8>? {
            guard count <= UInt64(data.count - offset) else { return nil }
            let slice = UnsafeBufferPointer(rebasing: data[offset..<offset + Int(count)])
            offset += Int(count)
            return slice
        }
    }
}
