import Foundation
import Testing

@testable import JobControl

/// Logs long enough to span many chunks, on both backends: every query
/// (follow, tail, levels, streams, times, limits) gives what filtering the
/// lines one by one gives, and the recorder's chunks keep every kind of line.
@Suite struct StoreLogChunkTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    static let levels: [LogLevel] = [.info, .info, .debug, .info, .warning, .info, .error]

    /// 30,000 lines: a new second every 100 lines, every 7th line at another
    /// level, every 11th on stderr; written in batches of uneven sizes, so
    /// some chunks are partial.
    static func longLog(_ build: BuildID) -> [LogEntry] {
        var entries: [LogEntry] = []
        for index in 1...30_000 {
            let time: Date = t0 + Double(index / 100)
            let stream: LogStream = index % 11 == 0 ? .stderr : .stdout
            let text = "line \(index) " + String(repeating: "x", count: index % 50)
            entries.append(LogEntry(
                build: build, seq: Int64(index), time: time, stream: stream,
                level: levels[index % levels.count], text: text))
        }
        return entries
    }

    static func write(_ entries: [LogEntry], to store: BuildStore) throws {
        var from = 0
        for size in [1, 7, 1_000, 5_000, 3] where from < entries.count {
            try store.appendLogs(Array(entries[from..<min(from + size, entries.count)]))
            from += size
        }
        try store.appendLogs(Array(entries[from...]))
    }

    /// What `logs(query)` must return, line by line.
    static func expected(_ entries: [LogEntry], _ query: LogQuery) -> [LogEntry] {
        let matching = entries.filter { entry in
            entry.seq > (query.afterSeq ?? 0) && entry.level >= (query.minimumLevel ?? .debug)
                && (query.stream.map { $0 == entry.stream } ?? true)
                && (query.since.map { entry.time >= $0 } ?? true)
                && (query.until.map { entry.time < $0 } ?? true)
        }
        guard let limit = query.limit else { return matching }
        return query.tail ? Array(matching.suffix(limit)) : Array(matching.prefix(limit))
    }

    static let queries: [(String, LogQuery)] = [
        ("everything", LogQuery(build: 0)),
        ("follow from the middle of a chunk", LogQuery(build: 0, afterSeq: 12_345)),
        ("follow at the end", LogQuery(build: 0, afterSeq: 30_000)),
        ("tail of 20", LogQuery(build: 0, limit: 20, tail: true)),
        ("tail of 5,000 across chunks", LogQuery(build: 0, limit: 5_000, tail: true)),
        ("tail of errors", LogQuery(build: 0, minimumLevel: .error, limit: 3, tail: true)),
        ("warnings and above", LogQuery(build: 0, minimumLevel: .warning)),
        ("stderr", LogQuery(build: 0, stream: .stderr)),
        ("jcrun's own: none", LogQuery(build: 0, stream: .jcrun)),
        ("a time range", LogQuery(build: 0, since: t0 + 100, until: t0 + 102)),
        ("first 10 after a seq", LogQuery(build: 0, afterSeq: 29_990, limit: 10)),
        ("limit 0", LogQuery(build: 0, limit: 0)),
        ("first 3 debug lines", LogQuery(build: 0, minimumLevel: .debug, stream: .stdout, limit: 3)),
    ]

    @Test(arguments: StoreBackend.available)
    func everyQueryOverManyChunksMatchesTheLines(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let build = try test.store.newBuild("long")
        let entries = Self.longLog(build.id)
        try Self.write(entries, to: test.store)
        for (name, filter) in Self.queries {
            var query = filter
            query.build = build.id
            let found = try test.store.logs(query)
            let wanted = Self.expected(entries, query)
            #expect(found.count == wanted.count, "\(name)")
            #expect(found == wanted, "\(name)")
        }
    }

    @Test(arguments: StoreBackend.available)
    func theRecorderKeepsEveryKindOfLine(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let recorder = BuildRecorder(store: test.store, clock: { Self.t0 })
        let build = try recorder.createBuild(
            NewBuild(job: "j", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        let raw: [UInt8] = [0x66, 0xFF, 0x00, 0x67]
        let longest = String(repeating: "y", count: LineSplitter.pieceLimit)
        recorder.log(build.id, stream: .stdout, level: .info, text: "")
        recorder.log(build.id, stream: .stderr, level: .info, text: "f\u{FFFD}\0g", raw: raw)
        recorder.log(build.id, stream: .stdout, level: .info, text: longest, continued: true)
        recorder.log(build.id, stream: .stdout, level: .info, text: "end")
        recorder.record(.log(level: .critical, message: "@log line"), of: build.id)
        recorder.record(.notice(level: .warning, message: "malformed"), of: build.id)
        try recorder.finishBuild(build.id, result: BuildResult(status: .successful))
        try recorder.close()
        let lines = try test.store.logs(LogQuery(build: build.id))
        #expect(lines.map(\.seq) == [1, 2, 3, 4, 5, 6])
        #expect(lines.map(\.text) == ["", "f\u{FFFD}\0g", longest, "end", "@log line", "malformed"])
        #expect(lines.map(\.raw) == [nil, raw, nil, nil, nil, nil])
        #expect(lines.map(\.continued) == [false, false, true, false, false, false])
        #expect(lines.map(\.stream) == [.stdout, .stderr, .stdout, .stdout, .log, .jcrun])
        #expect(lines.map(\.level) == [.info, .info, .info, .info, .critical, .warning])
        #expect(lines.allSatisfy { $0.time == Self.t0 })
        // `@log` entries have a stream of their own, apart from jcrun's.
        #expect(try test.store.logs(LogQuery(build: build.id, stream: .log)).map(\.text) == ["@log line"])
        #expect(try test.store.logs(LogQuery(build: build.id, stream: .jcrun)).map(\.text) == ["malformed"])
    }

    @Test(arguments: StoreBackend.available)
    func aChunkOverlappingStoredLinesIsRefusedAndNothingOfTheBatchStays(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let build = try test.store.newBuild("j")
        try test.store.appendLogs((1...5).map { test.store.logLine(build.id, Int64($0), "\($0)") })
        let other = try test.store.newBuild("k")
        #expect(throws: StoreError.refused("build #\(build.id): log line 4 is stored already")) {
            try test.store.appendLogs([
                test.store.logLine(other.id, 1, "k1"), test.store.logLine(build.id, 4, "again"),
            ])
        }
        #expect(try test.store.logs(LogQuery(build: other.id)).isEmpty)
        try test.store.appendLogs([test.store.logLine(build.id, 6, "six")])
        let texts = try test.store.logs(LogQuery(build: build.id)).map(\.text)
        #expect(texts == ["1", "2", "3", "4", "5", "six"])
    }

    @Test(arguments: StoreBackend.available)
    func pruningByLevelRewritesChunksAndCountsLines(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let store = test.store
        store.clock = { Self.t0 }
        let old = try store.newBuild("j", status: .running)
        let entries = Self.longLog(old.id)
        try Self.write(entries, to: store)
        try store.finishBuild(old.id, result: BuildResult(status: .successful))
        store.clock = { Self.t0 + 86_400 * 30 }
        _ = try store.finishedBuild("j", .successful)
        let result = try store.prune(
            PruneRequest(olderThan: Self.t0 + 86_400, logsOnly: true, level: .info))
        let kept = entries.filter { $0.level > .info }
        #expect(result == PruneResult(buildsDeleted: 0, logLinesDeleted: entries.count - kept.count))
        #expect(try store.logs(LogQuery(build: old.id)) == kept)
        #expect(try store.logs(LogQuery(build: old.id, limit: 2, tail: true)) == kept.suffix(2))
    }
}
