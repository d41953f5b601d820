import Foundation
import PostgresTestSupport
import Testing

@testable import JobControl

/// The two `BuildStore` implementations every conformance test runs on.
enum StoreBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }

    /// Both, or SQLite alone when no PostgreSQL server can run here (the
    /// reason is printed once).
    static var available: [StoreBackend] {
        PostgresTestServer.skipReason == nil ? allCases : [.sqlite]
    }
}

/// A store whose clock tests can fix.
protocol ClockedBuildStore: BuildStore {
    var clock: () -> Date { get set }
    var transactionCount: Int { get }
}

extension SQLiteStore: ClockedBuildStore {}
extension PostgresStore: ClockedBuildStore {}

/// A fresh, empty store of one backend, and what keeps it alive (the
/// SQLite file's folder).
struct TestStore: @unchecked Sendable {
    let store: any ClockedBuildStore
    let folder: StoreFolder?
    /// The URL of the PostgreSQL database, or the SQLite path.
    let location: String

    static func make(_ backend: StoreBackend, mode: StoreMode = .write) throws -> TestStore {
        switch backend {
        case .sqlite:
            let folder = StoreFolder()
            return TestStore(
                store: try folder.openStore(mode), folder: folder, location: folder.databasePath)
        case .postgresql:
            let url = try PostgresTestServer.shared.get().createDatabase()
            return TestStore(
                store: try PostgresStore.open(url: url, mode: mode), folder: nil, location: url)
        }
    }

    /// Another connection to the same store.
    func reopen(_ mode: StoreMode = .write) throws -> any ClockedBuildStore {
        if let folder { return try folder.openStore(mode) }
        return try PostgresStore.open(url: location, mode: mode)
    }
}

extension BuildStore {
    /// A build of `job` that ends with `status` (and `retval` when successful).
    @discardableResult
    func finishedBuild(
        _ job: JobID, _ status: BuildStatus, retval: String? = nil, inputs: [BuildInput] = []
    ) throws -> BuildRecord {
        let created = try createBuild(
            NewBuild(
                job: job, trigger: "cli", reason: "test", configSnapshot: "{}", configHash: "h",
                inputs: inputs))
        let kind: FailureKind? = status == .failed ? .exit : nil
        try finishBuild(
            created.id,
            result: BuildResult(
                status: status, failureKind: kind, exitCode: status == .failed ? 1 : 0,
                retval: retval))
        return try build(created.id)!
    }

    func logLine(
        _ build: BuildID, _ seq: Int64, _ text: String, level: LogLevel = .info,
        stream: LogStream = .stdout, time: Date = Date()
    ) -> LogEntry {
        LogEntry(build: build, seq: seq, time: time, stream: stream, level: level, text: text)
    }

    func newBuild(_ job: JobID = "j", status: BuildStatus = .running) throws -> BuildRecord {
        try createBuild(
            NewBuild(
                job: job, status: status, trigger: status == .created ? "queue" : "cli",
                reason: "r",
                configSnapshot: "{}", configHash: "h"))
    }
}
