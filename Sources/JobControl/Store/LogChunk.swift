import Foundation

/// A run of lines of one build's log, stored as one row: a build printing a
/// million short lines is about a hundred rows, not a million (issue #4).
///
/// The columns besides `data` let a query skip chunks without decoding them:
/// the seq range, the time range, and which levels and streams occur.
/// `data` holds the lines themselves (`LogChunkEncoder` describes the format);
/// seqs increase within a chunk and may leave gaps (a prune by level).
public struct LogChunk: Sendable, Hashable {
    public var build: BuildID
    public var firstSeq: Int64
    public var lastSeq: Int64
    public var lineCount: Int
    /// The earliest and the latest time of a line, µs since 1970-01-01 UTC.
    public var minTime: Int64
    public var maxTime: Int64
    /// Bit n is set when a line at level rank n occurs (0 debug ... 4 critical).
    public var levels: Int
    /// Bit n is set when a line of stream code n occurs (0 stdout, 1 stderr, 2 jcrun).
    public var streams: Int
    /// The encoded lines.
    public var data: [UInt8]

    public init(
        build: BuildID, firstSeq: Int64, lastSeq: Int64, lineCount: Int, minTime: Int64,
        maxTime: Int64, levels: Int, streams: Int, data: [UInt8]
    ) {
        self.build = build
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.lineCount = lineCount
        self.minTime = minTime
        self.maxTime = maxTime
        self.levels = levels
        self.streams = streams
        self.data = data
    }

    /// Encodes `entries` (in order, seqs increasing per build) as chunks of
    /// at most about `LogChunkEncoder.targetSize` bytes each.
    ///
    /// - Throws: `StoreError.refused` when a seq does not increase within its build.
    public static func encode(_ entries: [LogEntry]) throws -> [LogChunk] {
        var chunks: [LogChunk] = []
        var open: [BuildID: LogChunkEncoder] = [:]
        var order: [BuildID] = []
        for entry in entries {
            var encoder = open.removeValue(forKey: entry.build) ?? LogChunkEncoder(build: entry.build)
            if encoder.lineCount == 0 { order.append(entry.build) }
            if let last = encoder.lastSeq, entry.seq <= last {
                throw StoreError.refused(
                    "build #\(entry.build): log line \(entry.seq) comes after line \(last)")
            }
            if !encoder.hasRoom(for: entry.raw?.count ?? entry.text.utf8.count) {
                chunks.append(encoder.seal())
            }
            encoder.append(entry)
            open[entry.build] = encoder
        }
        for build in order {
            if var encoder = open.removeValue(forKey: build), encoder.lineCount > 0 {
                chunks.append(encoder.seal())
            }
        }
        return chunks.sorted { ($0.build, $0.firstSeq) < ($1.build, $1.firstSeq) }
    }

    /// Every line, in order.
    ///
    /// - Throws: `StoreError.engine` when `data` is damaged.
    public func entries() throws -> [LogEntry] {
        var entries: [LogEntry] = []
        entries.reserveCapacity(lineCount)
        try data.withUnsafeBufferPointer { bytes in
            try LogChunkDecoder.forEachLine(in: bytes, build: build) { line in
                entries.append(line.entry(build: build))
                return true
            }
        }
        return entries
    }

    /// The chunk without its lines at `level` and below, and how many went;
    /// nil when no line is left.
    public func removingLines(atOrBelow level: LogLevel) throws -> (chunk: LogChunk?, removed: Int) {
        let rank = LogChunkEncoder.levelCode(level)
        guard levels & ((2 << rank) - 1) != 0 else { return (self, 0) }
        var encoder = LogChunkEncoder(build: build)
        var removed = 0
        try data.withUnsafeBufferPointer { bytes in
            try LogChunkDecoder.forEachLine(in: bytes, build: build) { line in
                if line.level <= rank {
                    removed += 1
                } else {
                    encoder.append(line)
                }
                return true
            }
        }
        return (encoder.lineCount > 0 ? encoder.seal() : nil, removed)
    }
}
