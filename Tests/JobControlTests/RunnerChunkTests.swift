import Foundation
import Testing

@testable import JobControl

/// Lines handed on a read at a time (`.outputLines`, issue #4): whatever way
/// the job's writes fall into reads, the same lines, directives, masking and
/// order come out as when every line was its own event.
@Suite struct RunnerChunkTests {
    @Test func aDirectiveSplitAcrossTwoReadsIsStillADirective() {
        let (_, log, _) = runScript("printf 'before\\n@progr'\nsleep 0.3\nprintf 'ess 3/4 files\\nafter\\n'\n")
        #expect(
            log.reported == [
                .output(stream: .stdout, text: "before", raw: nil, continued: false),
                .progress(ProgressUpdate(group: ["files"], current: 3, total: 4)),
                .output(stream: .stdout, text: "after", raw: nil, continued: false),
            ])
    }

    @Test func aSecretSplitAcrossTwoReadsIsMasked() {
        let script = """
            printf 'one\\ntoken=s3cr'
            sleep 0.3
            printf '3t-value end\\n'
            printf 'x s3cr' >&2
            sleep 0.3
            printf '3t-value\\n' >&2
            """
        let (_, log, _) = runScript(script, secrets: ["s3cr3t-value"])
        #expect(log.lines(.stdout) == ["one", "token=*** end"])
        #expect(log.lines(.stderr) == ["x ***"])
        #expect(!log.all.description.contains("s3cr"))
    }

    @Test func directivesBetweenLinesOfOneReadKeepTheirPlace() {
        let (_, log, _) = runScript("printf 'a\\nb\\n@progress 1/2\\n@@c\\n@log info x\\nd\\n'\n")
        #expect(
            log.reported == [
                .output(stream: .stdout, text: "a", raw: nil, continued: false),
                .output(stream: .stdout, text: "b", raw: nil, continued: false),
                .progress(ProgressUpdate(group: [], current: 1, total: 2)),
                .output(stream: .stdout, text: "@c", raw: nil, continued: false),
                .log(level: .info, message: "x"),
                .output(stream: .stdout, text: "d", raw: nil, continued: false),
            ])
    }

    @Test func aDirectiveLongerThanTheReadBufferIsReadWhole() {
        // 100,000 bytes: more than one 64 KiB read, less than the 1 MiB directive limit.
        let script = "printf 'x\\n@log info '\nhead -c 100000 /dev/zero | tr '\\0' m\nprintf '\\ny\\n'\n"
        let (_, log, _) = runScript(script)
        #expect(log.lines(.stdout) == ["x", "y"])
        let messages: [Int] = log.all.compactMap {
            if case .log(.info, let message) = $0 { return message.utf8.count } else { return nil }
        }
        #expect(messages == [100_000])
    }

    @Test func anOrdinaryLineLongerThanTheReadBufferComesInPiecesBetweenItsNeighbours() {
        let script = "printf 'before\\n'\nhead -c 100000 /dev/zero | tr '\\0' o\nprintf '\\nafter\\n'\n"
        let (_, log, _) = runScript(script)
        let outputs: [String] = log.all.compactMap {
            if case .output(.stdout, let text, nil, let continued) = $0 {
                return "\(text.prefix(6)) \(text.utf8.count) \(continued)"
            }
            return nil
        }
        #expect(outputs == ["before 6 false", "oooooo 65536 true", "oooooo 34464 false", "after 5 false"])
    }

    @Test func stdoutAndStderrKeepTheirOrderAcrossReads() {
        let script = "echo a\nsleep 0.2\necho b >&2\nsleep 0.2\necho c\nsleep 0.2\necho d >&2\n"
        let (_, log, _) = runScript(script)
        let order: [String] = log.all.compactMap {
            if case .output(let stream, let text, _, _) = $0 { return "\(stream.rawValue) \(text)" }
            return nil
        }
        #expect(order == ["stdout a", "stderr b", "stdout c", "stderr d"])
    }

    @Test func manyLinesComeInFewEventsAndAllArrive() {
        let (_, log, _) = runScript("seq 1 20000\n")
        #expect(log.lines(.stdout) == (1...20_000).map { String($0) })
        #expect(log.batchedLines == 20_000)
        #expect(log.batches < 2_000, "\(log.batches) events for 20,000 lines")
    }

    @Test func aSecretThatMasksLongerStillCutsPiecesAt64KiB() {
        // "ab" becomes "***": a 60,000-byte line of "ab" grows past one piece.
        let script = "head -c 60000 /dev/zero | tr '\\0' z | sed 's/zz/ab/g'\necho\necho next\n"
        let (_, log, _) = runScript(script, secrets: ["ab"])
        let pieces: [String] = log.all.compactMap {
            if case .output(.stdout, let text, nil, let continued) = $0 {
                return "\(text.prefix(3)) \(text.utf8.count) \(continued)"
            }
            return nil
        }
        #expect(pieces == ["*** 65536 true", "*** 24464 false", "nex 4 false"])
    }

    // The whole lines of a read go on as printed when no secret, held
    // directive or long line is in the way (`consumeAsPrinted`); these pin
    // what that path must keep.

    @Test func aReadOfPlainLinesKeepsCRLFInvalidBytesAndEmptyLines() {
        let (_, log, _) = runScript("printf 'a\\r\\nb\\377\\r\\n\\r\\n\\nx\\r\\r\\nm@n\\n'\n")
        #expect(
            log.reported == [
                .output(stream: .stdout, text: "a", raw: nil, continued: false),
                .output(stream: .stdout, text: "b\u{FFFD}", raw: [0x62, 0xFF], continued: false),
                .output(stream: .stdout, text: "", raw: nil, continued: false),
                .output(stream: .stdout, text: "", raw: nil, continued: false),
                .output(stream: .stdout, text: "x\r", raw: nil, continued: false),
                .output(stream: .stdout, text: "m@n", raw: nil, continued: false),
            ])
        #expect(log.batches == 1)
    }

    @Test func aLineSplitAcrossReadsIsCompletedBeforeTheLinesAfterIt() {
        let script = "printf 'one\\ntw'\nsleep 0.2\nprintf 'o\\nthree\\nfo'\nsleep 0.2\nprintf 'ur\\r'\nsleep 0.2\nprintf '\\nfive\\n'\n"
        let (_, log, _) = runScript(script)
        #expect(log.lines(.stdout) == ["one", "two", "three", "four", "five"])
    }

    @Test func aDirectiveAmongPlainLinesOfLaterReadsIsStillRead() {
        let script = "printf 'a\\nb\\n'\nsleep 0.2\nprintf 'c\\n@retval 7\\nd\\n@@e\\n'\nsleep 0.2\nprintf '@log warning w\\n'\n"
        let (outcome, log, _) = runScript(script)
        #expect(outcome.retval == "7")
        #expect(
            log.reported == [
                .output(stream: .stdout, text: "a", raw: nil, continued: false),
                .output(stream: .stdout, text: "b", raw: nil, continued: false),
                .output(stream: .stdout, text: "c", raw: nil, continued: false),
                .retval("7"),
                .output(stream: .stdout, text: "d", raw: nil, continued: false),
                .output(stream: .stdout, text: "@e", raw: nil, continued: false),
                .log(level: .warning, message: "w"),
            ])
    }

    @Test func aSecretInPlainLinesIsMaskedWhateverTheReads() {
        let script = "printf 'k=s3cr3t\\nfine\\n'\nsleep 0.2\nprintf 'x s3c'\nsleep 0.2\nprintf 'r3t\\n'\n"
        let (_, log, _) = runScript(script, secrets: ["s3cr3t"])
        #expect(log.lines(.stdout) == ["k=***", "fine", "x ***"])
    }

    @Test func aLineLongerThanOnePieceAfterPlainLinesComesInPieces() {
        let script = "seq 1 3\nhead -c 70000 /dev/zero | tr '\\0' q\nprintf '\\nend\\n'\n"
        let (_, log, _) = runScript(script)
        let outputs: [String] = log.all.compactMap {
            if case .output(.stdout, let text, nil, let continued) = $0 {
                return "\(text.prefix(3)) \(text.utf8.count) \(continued)"
            }
            return nil
        }
        #expect(outputs == ["1 1 false", "2 1 false", "3 1 false", "qqq 65536 true", "qqq 4464 false", "end 3 false"])
    }

    @Test(arguments: [
        ("a\nb\n", false, 2), ("a\n@b\n", false, 2), ("a\n@b\n", true, nil), ("@a\n", true, nil),
        ("x@\n\n\n", true, 3), ("abc", false, nil), ("0123456789\n0123456789abcdef\n", true, 2),
    ] as [(String, Bool, Int?)])
    func plainLineCount(text: String, directives: Bool, expected: Int?) {
        let count = Array(text.utf8).withUnsafeBufferPointer {
            OutputLines.plainLineCount($0, directives: directives)
        }
        #expect(count == expected)
    }

    @Test func outputLinesStandForTheirOutputEvents() {
        var lines = OutputLines(stream: .stderr)
        for line in [[0x61], [], [0xFF, 0x62], [0xC3, 0xA9]] as [[UInt8]] {
            line.withUnsafeBufferPointer { lines.appendCopy($0) }
        }
        #expect(lines.notUTF8 == [2])
        #expect(
            lines.events() == [
                .output(stream: .stderr, text: "a", raw: nil, continued: false),
                .output(stream: .stderr, text: "", raw: nil, continued: false),
                .output(stream: .stderr, text: "\u{FFFD}b", raw: [0xFF, 0x62], continued: false),
                .output(stream: .stderr, text: "é", raw: nil, continued: false),
            ])
        #expect(lines.events(last: 2) == Array(lines.events().suffix(2)))
        #expect(lines.events(last: 0).isEmpty)
        #expect(lines.events(last: 9) == lines.events())
    }
}

/// What the store and the observers get from `.outputLines`.
@Suite struct OutputLinesRecordingTests {
    @Test func theRecorderNumbersBatchedLinesAmongTheOthers() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let recorder = BuildRecorder(store: store)
        let build = try recorder.createBuild(
            NewBuild(job: "j", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        var bad = OutputLines(stream: .stdout)
        [UInt8]([0x6F, 0x6B]).withUnsafeBufferPointer { bad.appendCopy($0) }
        [UInt8]([0xFE, 0x78]).withUnsafeBufferPointer { bad.appendCopy($0) }
        recorder.record(.outputLines(OutputLines(stream: .stdout, texts: ["a", "b"])), of: build.id)
        recorder.record(.log(level: .warning, message: "careful"), of: build.id)
        recorder.record(.outputLines(OutputLines(stream: .stderr, texts: ["c"])), of: build.id)
        recorder.record(.output(stream: .stdout, text: "d", raw: nil, continued: false), of: build.id)
        recorder.record(.outputLines(bad), of: build.id)
        try recorder.finishBuild(build.id, result: BuildResult(status: .successful))
        let lines = try store.logs(LogQuery(build: build.id))
        #expect(
            lines.map { "\($0.seq) \($0.stream.rawValue) \($0.level.rawValue) \($0.text)" } == [
                "1 stdout info a", "2 stdout info b", "3 log warning careful", "4 stderr info c",
                "5 stdout info d", "6 stdout info ok", "7 stdout info \u{FFFD}x",
            ])
        #expect(lines.map(\.raw) == [nil, nil, nil, nil, nil, nil, [0xFE, 0x78]])
        try recorder.close()
    }

    @Test func theRecorderSealsFullChunksInsideOneBatch() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let recorder = BuildRecorder(store: store)
        let build = try recorder.createBuild(
            NewBuild(job: "j", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        let texts = (0..<30_000).map { "line \($0) of a batch" }
        for start in stride(from: 0, to: texts.count, by: 10_000) {
            let batch = OutputLines(stream: .stdout, texts: Array(texts[start..<(start + 10_000)]))
            recorder.record(.outputLines(batch), of: build.id)
        }
        try recorder.finishBuild(build.id, result: BuildResult(status: .successful))
        let lines = try store.logs(LogQuery(build: build.id))
        #expect(lines.map(\.seq) == Array(1...30_000))
        #expect(lines.map(\.text) == texts)
        try recorder.close()
    }

    @Test func encodingLinesAtOnceWritesTheSameChunksAsOneByOne() {
        var lines = OutputLines(stream: .stderr)
        let texts: [[UInt8]] = (0..<5_000).map { index in
            // Never a `\n` inside a line (the job's lines are split on it).
            if index % 97 == 0 { return [0xFF, UInt8(index % 50 + 11)] }
            if index % 89 == 0 { return Array("ends with CR \(index)\r".utf8) }
            if index % 83 == 0 { return [] }
            return Array("line \(index) \(String(repeating: "x", count: index % 300))".utf8)
        }
        for text in texts { text.withUnsafeBufferPointer { lines.appendCopy($0) } }
        var one = LogChunkEncoder(build: 7)
        var oneChunks: [LogChunk] = []
        for text in texts {
            let isRaw = String(validating: text, as: UTF8.self) == nil
            let (sealed, _) = text.withUnsafeBufferPointer {
                one.appendNext(time: 1_000, stream: 1, level: 1, bytes: $0, isRaw: isRaw, continued: false)
            }
            if let sealed { oneChunks.append(sealed) }
        }
        oneChunks.append(one.seal())
        var batch = LogChunkEncoder(build: 7)
        var batchChunks: [LogChunk] = []
        var next = 0
        while next < lines.bytes.count {
            let stop = batch.appendLines(lines, from: next, time: 1_000, level: 1)
            if stop == next { batchChunks.append(batch.seal()) }
            next = stop
        }
        batchChunks.append(batch.seal())
        #expect(batchChunks.count > 3)
        #expect(batchChunks == oneChunks)
    }

    @Test(arguments: [(nil, 30), (20, 20), (0, 0)] as [(Int?, Int)])
    func observersGetTheLinesTheyKeep(limit: Int?, expected: Int) throws {
        let observer = LineCountingObserver(limit: limit)
        let texts = (1...30).map { "line \($0)" }
        let events: [RunEvent] = [
            .outputLines(OutputLines(stream: .stdout, texts: texts)),
            .log(level: .info, message: "after"),
        ]
        let launcher = ScriptedLauncher(["a": [Script(events: events)]])
        let store = MemoryStore()
        let jobs = testJobSet([testJob("a")])
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: testNow)
        let options = Scheduler.Options(workers: 1, environment: ["PATH": "/usr/bin"])
        _ = Scheduler(jobs: jobs, store: store, launcher: launcher, observer: observer, options: options)
            .run(plan)
        #expect(observer.texts == Array(texts.suffix(expected)) + ["[info] after"])
        #expect(store.logRows.map(\.text) == texts + ["after"])
    }

    @Test func aGroupOfObserversGetsWhatItsMostDemandingMemberKeeps() {
        let tail = LineCountingObserver(limit: 20)
        #expect(ObserverGroup([tail, LineCountingObserver(limit: 5)]).outputLineLimit == 20)
        #expect(ObserverGroup([tail, LineCountingObserver(limit: nil)]).outputLineLimit == nil)
        let plain = PlainRenderer(output: RecordingOutput(), verbosity: .normal)
        let verbose = PlainRenderer(output: RecordingOutput(), verbosity: .verbose)
        #expect(plain.outputLineLimit == LogTail.defaultLimit)
        #expect(verbose.outputLineLimit == nil)
        #expect(JSONLinesRenderer(output: RecordingOutput(), includeLogs: false).outputLineLimit == 0)
        #expect(JSONLinesRenderer(output: RecordingOutput(), includeLogs: true).outputLineLimit == nil)
    }
}

/// Keeps the text of every output and log event it gets.
final class LineCountingObserver: BuildObserver, @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int?
    private var kept: [String] = []

    init(limit: Int?) { self.limit = limit }

    var texts: [String] { lock.withLock { kept } }
    var outputLineLimit: Int? { limit }

    func planned(_ plan: Plan) {}
    func buildStarted(_ build: BuildRecord, job: Job) {}
    func buildEvent(_ build: BuildRecord, _ event: RunEvent) {
        switch event {
        case .output(_, let text, _, _): lock.withLock { kept.append(text) }
        case .log(let level, let message): lock.withLock { kept.append("[\(level.rawValue)] \(message)") }
        case .outputLines: lock.withLock { kept.append("unexpected batch") }
        default: break
        }
    }
    func buildFinished(_ build: BuildRecord) {}
    func runFinished(_ summary: RunSummary) {}
}
