import Foundation
import Testing
@testable import JobControl

/// Several writers on one database: threads with their own connections, and
/// processes (the `store-stress` executable), including one killed mid-batch.
@Suite struct StoreConcurrencyTests {
    @Test func eightThreadsWithTheirOwnConnectionsLoseNothing() throws {
        let folder = StoreFolder()
        try folder.openStore().close()
        let failures = FailureList()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            do {
                let store = try folder.openStore()
                for _ in 0..<25 {
                    let build = try store.createBuild(NewBuild(job: "w\(worker)", trigger: "t", reason: "r", configSnapshot: "{}", configHash: "h"))
                    for batch in 0..<4 {
                        try store.appendLogs((1...50).map { store.logLine(build.id, Int64(batch * 50 + $0), "x") })
                    }
                    try store.finishBuild(build.id, result: BuildResult(status: .successful))
                }
            } catch {
                failures.add("\(error)")
            }
        }
        #expect(failures.all == [])
        let store = try folder.openStore(.readOnly)
        #expect(try store.connection.integer("SELECT count(*) FROM builds WHERE status = 'successful'") == 200)
        #expect(try store.connection.integer("SELECT sum(lines) FROM log") == 200 * 200)
    }

    @Test func aWriterWaitsForAnotherTransactionInsteadOfFailing() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        nonisolated(unsafe) let other = try SQLiteConnection(path: folder.databasePath, readOnly: false)
        try other.execute("BEGIN IMMEDIATE")
        let released = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            usleep(300_000)
            try? other.execute("COMMIT")  // the test fails below if this did not release the lock
            released.signal()
        }
        try store.finishedBuild("a", .successful)
        released.wait()
        #expect(try store.builds(BuildQuery()).count == 1)
    }

    @Test func aWriterThatWaitsTooLongGetsAStoreError() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        try store.connection.execute("PRAGMA busy_timeout = 20")
        store.connection.busyDeadline = 0.1
        let other = try SQLiteConnection(path: folder.databasePath, readOnly: false)
        try other.execute("BEGIN IMMEDIATE")
        #expect(throws: StoreError.engine(message: "\(folder.databasePath): database is locked")) {
            try store.finishedBuild("a", .successful)
        }
        try other.execute("ROLLBACK")
        try store.finishedBuild("a", .successful)
    }

    @Test func eightProcessesWritingAtOnceLoseNothing() throws {
        let folder = StoreFolder()
        let processes = try (0..<8).map { worker in
            try StoreStress.start(["write", folder.databasePath, "\(worker)", "10", "1000"])
        }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        let store = try folder.openStore(.readOnly)
        #expect(try store.connection.integer("SELECT count(*) FROM builds WHERE status = 'successful'") == 80)
        #expect(try store.connection.integer("SELECT sum(lines) FROM log") == 80_000)
        #expect(try store.connection.integer("SELECT count(DISTINCT job) FROM builds") == 8)
        let states = try store.jobStates((0..<8).map { "w\($0)" })
        #expect(states.values.map(\.latestSuccessful?.retval).compactMap { $0 }.sorted() == (0..<8).map(String.init))
    }

    @Test func aWriterKilledMidBatchLeavesAStoreThatOpensAndIsReaped() throws {
        let folder = StoreFolder()
        let output = Pipe()
        let process = try StoreStress.start(["hang", folder.databasePath], stdout: output)
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let fields = line.split(whereSeparator: \.isWhitespace).compactMap { Int64($0) }
        try #require(fields.count == 2, "store-stress printed '\(line)'")
        let (build, group) = (fields[0], Int32(fields[1]))
        #expect(kill(-group, 0) == 0)  // the build's process group lives
        usleep(200_000)  // let a few more batches start
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        let store = try folder.openStore()
        #expect(try store.connection.text("PRAGMA integrity_check") == "ok")
        #expect(try store.reapDeadRunners() == [build])
        let record = try #require(try store.build(build))
        #expect(record.status == .failed)
        #expect(record.failureKind == .runnerDied)
        // It ends at the last moment it was known alive, not when reaped.
        let finished = try #require(record.finishedAt)
        #expect(record.error == "runner died; last seen at \(JSONText.timestamp(finished))")
        let lastLine = try #require(try store.logs(LogQuery(build: build)).last)
        #expect(finished >= lastLine.time)
        let seqs = try store.logs(LogQuery(build: build)).map(\.seq)
        #expect(seqs.count >= 5_000)
        #expect(seqs == Array(1...Int64(seqs.count)))
        var groupGone = false
        for _ in 0..<100 where !groupGone {  // the kernel may take a moment
            groupGone = kill(-group, 0) != 0
            if !groupGone { usleep(50_000) }
        }
        #expect(groupGone)
        #expect(try store.reapDeadRunners() == [])
    }
}

/// Runs the `store-stress` executable built beside the tests.
enum StoreStress {
    static var binary: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("store-stress")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/store-stress")
    }

    static func start(_ arguments: [String], stdout: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        if let stdout { process.standardOutput = stdout }
        try process.run()
        return process
    }
}

/// Errors collected from several threads.
final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []

    func add(_ item: String) { lock.withLock { items.append(item) } }

    var all: [String] { lock.withLock { items } }
}
