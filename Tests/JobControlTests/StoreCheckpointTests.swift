import Foundation
import Testing

@testable import JobControl

/// A writing connection checkpoints the WAL every 10,000 pages, not every
/// 1,000 (issue #4: each checkpoint waited for two `fdatasync`s between one
/// build's end and the next one's start); closing still folds it all into
/// the database file and removes the WAL.
@Suite struct StoreCheckpointTests {
    @Test func aWriterCheckpointsEvery10000PagesAndCutsTheWALBackTo4MiB() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        defer { store.close() }
        #expect(try store.connection.integer("PRAGMA wal_autocheckpoint") == 10_000)
        #expect(try store.connection.integer("PRAGMA journal_size_limit") == 4_194_304)
        let reader = try folder.openStore(.readOnly)
        defer { reader.close() }
        #expect(try reader.connection.integer("PRAGMA wal_autocheckpoint") == 1_000)
    }

    @Test func buildsPastTheOldThresholdStayInTheWALUntilCloseAndNoneIsLost() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let snapshot = String(repeating: "x", count: 2_000)
        var last: BuildRecord?
        // About 2,400 WAL frames: past SQLite's default threshold of 1,000.
        for index in 0..<300 {
            let new = NewBuild(
                job: "j\(index)", trigger: "cli", reason: "r", configSnapshot: snapshot, configHash: "h",
                inputs: [])
            if let previous = last {
                last = try store.finishBuild(
                    previous.id, result: BuildResult(status: .successful, exitCode: 0), thenCreate: new)
            } else {
                last = try store.createBuild(new)
            }
        }
        try store.finishBuild(try #require(last).id, result: BuildResult(status: .successful, exitCode: 0))
        let wal = folder.databasePath + "-wal"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int)
        #expect(size > 1_500 * 4_096)  // at 1,000 pages it stayed near 4.1 MB
        store.close()
        #expect(!FileManager.default.fileExists(atPath: wal))
        let reader = try folder.openStore(.readOnly)
        defer { reader.close() }
        let builds = try reader.builds(BuildQuery(limit: 1_000))
        #expect(builds.count == 300)
        #expect(builds.allSatisfy { $0.status == .successful })
    }
}
