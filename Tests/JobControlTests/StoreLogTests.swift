import Foundation
import Testing
@testable import JobControl

@Suite struct StoreLogTests {
    /// Build with five lines: seq 1...5 at t+0...t+4.
    private func storeWithLog() throws -> (StoreFolder, SQLiteStore, BuildID, Date) {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let build = try store.createBuild(NewBuild(job: "j", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        try store.appendLogs([
            store.logLine(build.id, 1, "one", level: .debug, time: t),
            store.logLine(build.id, 2, "two", level: .info, stream: .stderr, time: t + 1),
            store.logLine(build.id, 3, "three", level: .warning, stream: .jcrun, time: t + 2),
            store.logLine(build.id, 4, "", level: .error, time: t + 3),
            store.logLine(build.id, 5, "five", level: .critical, time: t + 4),
        ])
        return (folder, store, build.id, t)
    }

    @Test func linesComeBackInOrderWithEveryField() throws {
        let (_, store, build, t) = try storeWithLog()
        let lines = try store.logs(LogQuery(build: build))
        #expect(lines.map(\.text) == ["one", "two", "three", "", "five"])
        #expect(lines[1] == LogEntry(build: build, seq: 2, time: t + 1, stream: .stderr, level: .info, text: "two"))
    }

    @Test(arguments: [
        ("level warning and above", LogQuery(build: 0, minimumLevel: .warning), [3, 4, 5]),
        ("stderr only", LogQuery(build: 0, stream: .stderr), [2]),
        ("since t+1 until t+3", LogQuery(build: 0, since: Date(timeIntervalSince1970: 1_700_000_001), until: Date(timeIntervalSince1970: 1_700_000_003)), [2, 3]),
        ("after seq 3 (follow)", LogQuery(build: 0, afterSeq: 3), [4, 5]),
        ("first two", LogQuery(build: 0, limit: 2), [1, 2]),
        ("tail of two", LogQuery(build: 0, limit: 2, tail: true), [4, 5]),
        ("tail of warnings", LogQuery(build: 0, minimumLevel: .warning, limit: 2, tail: true), [4, 5]),
    ] as [(String, LogQuery, [Int64])])
    func filtersSelectTheRightLines(name: String, query: LogQuery, seqs: [Int64]) throws {
        let (_, store, build, _) = try storeWithLog()
        var query = query
        query.build = build
        #expect(try store.logs(query).map(\.seq) == seqs, "\(name)")
    }

    @Test func bytesThatAreNotUTF8AndContinuedPiecesAreKept() throws {
        let (_, store, build, t) = try storeWithLog()
        let raw: [UInt8] = [0x66, 0xff, 0xfe, 0x00, 0x67]
        try store.appendLogs([
            LogEntry(build: build, seq: 6, time: t, stream: .stdout, level: .info, text: "f\u{FFFD}\u{FFFD}\0g", raw: raw, continued: true)
        ])
        let line = try #require(try store.logs(LogQuery(build: build, afterSeq: 5)).first)
        #expect(line.raw == raw)
        #expect(line.continued)
        #expect(line.text == "f\u{FFFD}\u{FFFD}\0g")
    }

    @Test func aDuplicateSeqIsAnErrorNotASilentOverwrite() throws {
        let (_, store, build, t) = try storeWithLog()
        #expect(throws: StoreError.self) {
            try store.appendLogs([store.logLine(build, 5, "again", time: t)])
        }
        #expect(try store.logs(LogQuery(build: build)).last?.text == "five")
    }
}
