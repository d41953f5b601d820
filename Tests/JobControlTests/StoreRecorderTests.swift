import Foundation
import Testing
@testable import JobControl

@Suite struct StoreRecorderTests {
    private func newBuild(_ recorder: BuildRecorder, _ job: JobID = "j") throws -> BuildRecord {
        try recorder.createBuild(NewBuild(job: job, trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
    }

    @Test func aHundredThousandLinesFromFourThreadsTakeFarFewerTransactions() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let recorder = BuildRecorder(store: store)
        let builds = try (0..<4).map { _ in try newBuild(recorder).id }
        let before = store.transactionCount
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for line in 0..<25_000 {
                recorder.log(builds[worker], stream: .stdout, level: .info, text: "line \(line)")
            }
        }
        for build in builds { try recorder.finishBuild(build, result: BuildResult(status: .successful)) }
        try recorder.close()
        let transactions = store.transactionCount - before
        #expect(transactions < 1_000, "\(transactions) transactions for 100,000 lines")
        for build in builds {
            let lines = try store.logs(LogQuery(build: build))
            #expect(lines.map(\.seq) == Array(1...25_000))
            #expect(lines.map(\.text) == (0..<25_000).map { "line \($0)" })
        }
        #expect(recorder.takeFailure() == nil)
    }

    @Test func progressIsCoalescedToTheLatestFiguresPerNode() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let recorder = BuildRecorder(store: store, flushInterval: 3_600, batchBytes: 1 << 30)
        let build = try newBuild(recorder)
        let before = store.transactionCount
        for step in 1...1_000 {
            recorder.progress(build.id, ProgressUpdate(group: [], current: step, total: 1_000))
            recorder.progress(build.id, ProgressUpdate(group: ["fetch"], current: step / 2, total: nil, status: "page \(step)"))
        }
        try recorder.finishBuild(build.id, result: BuildResult(status: .successful))
        #expect(store.transactionCount - before == 2)  // the progress batch, then finishing
        let nodes = try store.progress(of: build.id)
        #expect(nodes.map(\.group) == [[], ["fetch"]])
        #expect(nodes.map(\.current) == [1_000, 500])
        #expect(nodes[1].status == "page 1000")
        try recorder.close()
    }

    @Test func runnerEventsBecomeLogLinesAndProgress() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let recorder = BuildRecorder(store: store)
        let build = try newBuild(recorder)
        recorder.record(.started(pid: 1), of: build.id)
        recorder.record(.output(stream: .stderr, text: "oops", raw: nil, continued: false), of: build.id)
        recorder.record(.log(level: .warning, message: "careful"), of: build.id)
        recorder.record(.progress(ProgressUpdate(group: ["a"], current: 1, total: 2)), of: build.id)
        recorder.record(.retval("v"), of: build.id)
        try recorder.finishBuild(build.id, result: BuildResult(status: .successful, retval: "v"))
        let lines = try store.logs(LogQuery(build: build.id))
        #expect(lines.map(\.stream) == [.stderr, .log])
        #expect(lines.map(\.level) == [.info, .warning])
        #expect(lines.map(\.text) == ["oops", "careful"])
        #expect(try store.progress(of: build.id).map(\.group) == [["a"]])
        try recorder.close()
    }

    @Test func aLineWaitsNoLongerThanTheFlushInterval() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let reader = try folder.openStore(.readOnly)
        let recorder = BuildRecorder(store: store, flushInterval: 0.05)
        let build = try newBuild(recorder)
        recorder.log(build.id, stream: .stdout, level: .info, text: "hello")
        var seen = 0
        for _ in 0..<200 where seen == 0 {  // up to 10 s on a loaded machine
            usleep(50_000)
            seen = try reader.logs(LogQuery(build: build.id)).count
        }
        #expect(seen == 1)
        try recorder.close()
    }

    @Test func aFailedBackgroundWriteIsReported() throws {
        let folder = StoreFolder()
        let writer = try folder.openStore()
        let build = try writer.createBuild(NewBuild(job: "j", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        let store = try folder.openStore(.readOnly)
        let reported = DispatchSemaphore(value: 0)
        let recorder = BuildRecorder(store: store, flushInterval: 0.01, onFailure: { _ in reported.signal() })
        recorder.log(build.id, stream: .stdout, level: .info, text: "lost")
        #expect(reported.wait(timeout: .now() + 30) == .success)
        #expect(recorder.takeFailure() == .unreachable(path: folder.databasePath, reason: "the database is read-only"))
        #expect(recorder.takeFailure() == nil)
        try recorder.close()
    }
}
