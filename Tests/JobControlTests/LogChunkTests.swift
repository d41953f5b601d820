import Foundation
import Testing

@testable import JobControl

/// The chunk encoding of stored logs (issue #4): every field of every kind
/// of line comes back exactly, chunks stay near their size, damage is an error.
@Suite struct LogChunkTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func line(
        _ seq: Int64, _ text: String, _ time: Date = t0, stream: LogStream = .stdout,
        level: LogLevel = .info, raw: [UInt8]? = nil, continued: Bool = false, build: BuildID = 7
    ) -> LogEntry {
        LogEntry(
            build: build, seq: seq, time: time, stream: stream, level: level, text: text, raw: raw,
            continued: continued)
    }

    static let notUTF8: [UInt8] = [0x66, 0xFF, 0xFE, 0x00, 0x67, 0xC3]
    static let longest = String(repeating: "é", count: LineSplitter.pieceLimit / 2)

    static let cases: [(String, [LogEntry])] = [
        ("one line", [line(1, "hello")]),
        ("empty lines", [line(1, ""), line(2, ""), line(3, "x"), line(4, "")]),
        ("a line that would have ended in CRLF is stored without it", [line(1, "dos line")]),
        (
            "bytes that are not UTF-8 and NUL",
            [
                line(1, String(decoding: notUTF8, as: UTF8.self), raw: notUTF8),
                line(2, "a\0b é ✓"),
            ]
        ),
        (
            "a 64 KiB piece, continued, then its end",
            [line(1, longest, continued: true), line(2, "end"), line(3, longest)]
        ),
        (
            "every level and stream",
            LogLevel.allCases.enumerated().flatMap { index, level in
                LogStream.allCases.enumerated().map { position, stream in
                    line(
                        Int64(index * LogStream.allCases.count + position + 1), "\(level) \(stream)",
                        stream: stream, level: level)
                }
            }
        ),
        (
            "times that repeat, jump and go back",
            [
                line(1, "a"), line(2, "b"), line(3, "c", t0 + 0.000_001), line(4, "d", t0 + 86_400),
                line(5, "e", t0 - 3), line(6, "f", Date(timeIntervalSince1970: 0)),
            ]
        ),
        ("seqs with gaps", [line(3, "a"), line(4, "b"), line(10, "c"), line(1_000_000_000_000, "d")]),
    ]

    @Test(arguments: cases)
    func linesComeBackExactly(name: String, entries: [LogEntry]) throws {
        let chunks = try LogChunk.encode(entries)
        #expect(try chunks.flatMap { try $0.entries() } == entries, "\(name)")
        #expect(chunks.reduce(0) { $0 + $1.lineCount } == entries.count, "\(name)")
    }

    @Test func aChunkDescribesItsLines() throws {
        let entries = [
            Self.line(5, "a", Self.t0 + 2, stream: .stderr, level: .warning),
            Self.line(6, "b", Self.t0, stream: .stderr, level: .debug),
            Self.line(9, "c", Self.t0 + 1, stream: .jcrun, level: .warning),
        ]
        let chunk = try #require(try LogChunk.encode(entries).first)
        #expect(chunk.build == 7)
        #expect([chunk.firstSeq, chunk.lastSeq] == [5, 9])
        #expect(chunk.lineCount == 3)
        #expect(chunk.minTime == SQLiteStatement.micros(Self.t0))
        #expect(chunk.maxTime == SQLiteStatement.micros(Self.t0 + 2))
        #expect(chunk.levels == 0b00101)  // debug and warning
        #expect(chunk.streams == 0b110)  // stderr and jcrun
    }

    @Test func aShortLineAtARepeatedTimeCostsTwoBytesBesideItsText() throws {
        let entries = (1...100).map { Self.line(Int64($0), "12345") }
        let chunk = try #require(try LogChunk.encode(entries).first)
        let first = try #require(try LogChunk.encode([entries[0]]).first)
        #expect(chunk.data.count == first.data.count + 99 * (2 + 5))
    }

    @Test func manyLinesFillChunksOfAbout64KiBWithSeqsInOrder() throws {
        let entries = (1...20_000).map { Self.line(Int64($0), "line \($0) of the build's output") }
        let chunks = try LogChunk.encode(entries)
        #expect(chunks.count > 5)
        for chunk in chunks {
            #expect(chunk.data.count <= LogChunkEncoder.targetSize)
            #expect(chunk.lastSeq - chunk.firstSeq + 1 == Int64(chunk.lineCount))
        }
        for (earlier, later) in zip(chunks, chunks.dropFirst()) {
            #expect(later.firstSeq == earlier.lastSeq + 1)
            #expect(earlier.data.count > LogChunkEncoder.targetSize - 100)
        }
        #expect(try chunks.flatMap { try $0.entries() } == entries)
    }

    @Test func theLinesOfSeveralBuildsGoToTheirOwnChunks() throws {
        let entries = [
            Self.line(1, "a1", build: 1), Self.line(1, "b1", build: 2), Self.line(2, "a2", build: 1),
        ]
        let chunks = try LogChunk.encode(entries)
        #expect(chunks.map(\.build) == [1, 2])
        #expect(try chunks[0].entries().map(\.text) == ["a1", "a2"])
    }

    @Test func aSeqThatDoesNotIncreaseIsRefused() throws {
        let entries = [Self.line(2, "a"), Self.line(2, "again")]
        #expect(throws: StoreError.refused("build #7: log line 2 comes after line 2")) {
            try LogChunk.encode(entries)
        }
    }

    @Test(arguments: [
        ("lines at info and below go", LogLevel.info, ["w", "e"], 2),
        ("only debug goes", .debug, ["i", "w", "e"], 1),
        ("everything goes", .critical, [], 4),
    ] as [(String, LogLevel, [String], Int)])
    func linesAtALevelAndBelowAreRemovedKeepingTheirSeqs(
        name: String, level: LogLevel, kept: [String], removed: Int
    ) throws {
        let entries = [
            Self.line(1, "d", level: .debug), Self.line(2, "i"), Self.line(3, "w", level: .warning),
            Self.line(4, "e", level: .error),
        ]
        let chunk = try #require(try LogChunk.encode(entries).first)
        let (left, count) = try chunk.removingLines(atOrBelow: level)
        #expect(count == removed, "\(name)")
        #expect(try left?.entries().map(\.text) ?? [] == kept, "\(name)")
        #expect(try left?.entries() ?? [] == entries.filter { kept.contains($0.text) }, "\(name)")
    }

    @Test func damagedDataIsAnErrorNamingTheBuild() throws {
        let chunk = try #require(try LogChunk.encode([Self.line(1, "hello"), Self.line(2, "world")]).first)
        var cut = chunk
        cut.data.removeLast(3)
        #expect(throws: StoreError.engine(message: "build #7: a stored log chunk is damaged at byte 17")) {
            try cut.entries()
        }
        var wrongVersion = chunk
        wrongVersion.data[0] = 9
        #expect(throws: StoreError.engine(message: "build #7: a stored log chunk is damaged at byte 0")) {
            try wrongVersion.entries()
        }
        #expect(throws: StoreError.self) { try LogChunk(
            build: 7, firstSeq: 1, lastSeq: 1, lineCount: 1, minTime: 0, maxTime: 0, levels: 0,
            streams: 0, data: [1, 1, 0, 0xFF]).entries() }
    }
}
