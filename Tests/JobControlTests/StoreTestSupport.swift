import Foundation
@testable import JobControl

/// A folder under /tmp for one test, removed when the test is done with it.
final class StoreFolder: Sendable {
    let path: String

    init() {
        let template = "/tmp/jcrun-store-test-XXXXXX"
        var bytes = Array(template.utf8CString)
        path = bytes.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }  // best effort: /tmp is cleaned anyway

    var databasePath: String { path + "/state.db" }

    func openStore(_ mode: StoreMode = .write) throws -> SQLiteStore {
        try SQLiteStore.open(path: databasePath, mode: mode)
    }
}

/// A fixed, advancing clock for tests that compare times.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now = Date(timeIntervalSince1970: 1_700_000_000)

    func read() -> Date { lock.withLock { now } }

    func advance(_ seconds: TimeInterval) { lock.withLock { now += seconds } }
}

extension SQLiteStore {
    /// A build of `job` that ends with `status` (and `retval` when successful).
    @discardableResult
    func finishedBuild(
        _ job: JobID, _ status: BuildStatus, retval: String? = nil, inputs: [BuildInput] = []
    ) throws -> BuildRecord {
        let created = try createBuild(NewBuild(
            job: job, trigger: "cli", reason: "test", configSnapshot: "{}", configHash: "h",
            inputs: inputs))
        let kind: FailureKind? = status == .failed ? .exit : nil
        try finishBuild(created.id, result: BuildResult(
            status: status, failureKind: kind, exitCode: status == .failed ? 1 : 0, retval: retval))
        return try build(created.id)!
    }

    func logLine(_ build: BuildID, _ seq: Int64, _ text: String, level: LogLevel = .info,
                 stream: LogStream = .stdout, time: Date = Date()) -> LogEntry {
        LogEntry(build: build, seq: seq, time: time, stream: stream, level: level, text: text)
    }
}

func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
