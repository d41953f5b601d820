import Foundation
import Testing

@testable import JobControl

/// `LogLineTail`: the pieces of a long line are one line, joined in order,
/// even with another stream's lines between them; a tail of N lines reads
/// back far enough to hold N whole lines.
@Suite struct LogLineTailTests {
    static let t0 = Date(timeIntervalSince1970: 1_000)

    static func entry(
        _ seq: Int64, _ text: String, _ stream: LogStream = .stdout, continued: Bool = false,
        raw: [UInt8]? = nil
    ) -> LogEntry {
        LogEntry(
            build: 1, seq: seq, time: t0, stream: stream, level: .info, text: text, raw: raw,
            continued: continued)
    }

    @Test func piecesOfALineAreJoinedAcrossAnotherStreamsLines() {
        let entries = [
            Self.entry(1, "a"),
            Self.entry(2, "long-1", continued: true),
            Self.entry(3, "err", .stderr),
            Self.entry(4, "long-2", continued: true),
            Self.entry(5, "long-3"),
            Self.entry(6, "b"),
            Self.entry(7, "still going", continued: true),
        ]
        let lines = LogLineTail.group(entries).map { $0.map(\.seq) }
        #expect(lines == [[1], [2, 4, 5], [3], [6], [7]])
        #expect(LogLineTail.text(LogLineTail.group(entries)[1]) == "long-1long-2long-3")
    }

    @Test func aCharacterSplitBetweenPiecesIsJoinedBeforeDecoding() {
        let pieces = [
            Self.entry(1, "x\u{FFFD}", continued: true, raw: [0x78, 0xC3]),
            Self.entry(2, "\u{FFFD}y", raw: [0xA9, 0x79]),
        ]
        #expect(LogLineTail.text(pieces) == "xéy")
        #expect(LogLineTail.bytes(pieces) == [0x78, 0xC3, 0xA9, 0x79])
    }

    @Test(arguments: StoreBackend.available)
    func aTailOfTwoLinesReadsBackOverALineOfManyPieces(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let build = try test.store.newBuild("j")
        var entries: [LogEntry] = [Self.entry(1, "first")]
        for seq in Int64(2)...11 { entries.append(Self.entry(seq, "p\(seq)", continued: seq < 11)) }
        entries.append(Self.entry(12, "last"))
        try test.store.appendLogs(entries.map { var entry = $0; entry.build = build.id; return entry })

        let tail = try LogLineTail.read(build.id, count: 2, from: test.store)
        #expect(tail.lines.map { LogLineTail.text($0) } == [(2...11).map { "p\($0)" }.joined(), "last"])
        #expect(!tail.firstIsCut)
        let all = try LogLineTail.read(build.id, count: 20, from: test.store)
        #expect(all.lines.count == 3)
        #expect(!all.firstIsCut)
    }
}
