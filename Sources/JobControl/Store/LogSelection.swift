import Foundation

/// Picks the lines a `LogQuery` asks for out of a build's chunks, read in
/// seq order, or newest chunk first for a tail with a limit (`fromEnd`).
/// The stores narrow the chunks in SQL; this checks every line.
struct LogSelection {
    let query: LogQuery
    /// Chunks come newest first and the last `limit` lines are wanted.
    let fromEnd: Bool
    private var entries: [LogEntry] = []
    private let afterSeq: Int64
    private let minimumLevel: Int
    private let stream: Int?
    private let since: Int64?
    private let until: Int64?

    init(_ query: LogQuery) {
        self.query = query
        fromEnd = query.tail && query.limit != nil
        afterSeq = query.afterSeq ?? 0
        minimumLevel = query.minimumLevel.map(LogChunkEncoder.levelCode) ?? 0
        stream = query.stream.map(LogChunkEncoder.streamCode)
        since = query.since.map(SQLiteStatement.micros)
        until = query.until.map(SQLiteStatement.micros)
    }

    /// The limit is reached: no further chunk is needed.
    var isComplete: Bool {
        guard let limit = query.limit, limit >= 0 else { return false }
        return entries.count >= limit
    }

    /// Adds the matching lines of one chunk of the query's build.
    ///
    /// - Throws: `StoreError.engine` for damaged data.
    mutating func add(_ data: UnsafeBufferPointer<UInt8>) throws {
        let build = query.build
        if fromEnd {
            var lines: [LogEntry] = []
            try LogChunkDecoder.forEachLine(in: data, build: build) { line in
                if matches(line) { lines.append(line.entry(build: build)) }
                return true
            }
            let wanted = (query.limit ?? 0) - entries.count
            entries.append(contentsOf: lines.suffix(max(wanted, 0)).reversed())
            return
        }
        var taken = entries
        entries = []
        defer { entries = taken }
        let limit = query.limit.flatMap { $0 >= 0 ? $0 : nil } ?? Int.max
        let filter = self
        try LogChunkDecoder.forEachLine(in: data, build: build) { line in
            guard taken.count < limit else { return false }
            if filter.matches(line) { taken.append(line.entry(build: build)) }
            return true
        }
    }

    /// The selected entries in seq order.
    var result: [LogEntry] { fromEnd ? entries.reversed() : entries }

    private func matches(_ line: LogChunkLine) -> Bool {
        guard line.seq > afterSeq, line.level >= minimumLevel else { return false }
        if let stream, line.stream != stream { return false }
        if let since, line.time < since { return false }
        if let until, line.time >= until { return false }
        return true
    }
}
