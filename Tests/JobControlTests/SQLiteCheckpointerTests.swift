import Foundation
import Testing

@testable import JobControl

/// The WAL is folded into the database file while the store is in use (on
/// the checkpoint thread, `SQLiteCheckpointer`), and closing the store still
/// folds the rest and removes it (issue #4).
@Suite struct SQLiteCheckpointerTests {
    @Test func aLargeWALIsFoldedWhileTheStoreIsOpenAndRemovedAtClose() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let build = try store.createBuild(
            NewBuild(job: "j", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        // 6 MB of lines, four chunks a transaction: the WAL passes 1,000 pages.
        var encoder = LogChunkEncoder(build: build.id)
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 1_000)
        var batch: [LogChunk] = []
        for _ in 0..<6_000 {
            let (sealed, _) = line.withUnsafeBufferPointer {
                encoder.appendNext(
                    time: 1, stream: 0, level: 1, bytes: $0, isRaw: false, continued: false)
            }
            if let sealed { batch.append(sealed) }
            if batch.count == 4 {
                try store.appendLogChunks(batch)
                batch = []
            }
        }
        batch.append(encoder.seal())
        try store.appendLogChunks(batch)

        // Folded while open: the database file itself grows past 4 MB.
        var folded = false
        for _ in 0..<200 where !folded {
            folded = fileSize(folder.databasePath) > 4_000_000
            if !folded { usleep(50_000) }
        }
        #expect(folded, "the WAL was not folded while the store was open")

        store.close()
        #expect(fileSize(folder.databasePath + "-wal") < 0, "closing left the WAL behind")
        let reader = try folder.openStore(.readOnly)
        defer { reader.close() }
        #expect(try reader.logs(LogQuery(build: build.id)).count == 6_000)
    }

    @Test func closingTwiceAndDroppingTheStoreAfterwardsDoNotHang() throws {
        let folder = StoreFolder()
        var store: SQLiteStore? = try folder.openStore()
        store?.close()
        store?.close()
        store = nil
        #expect(fileSize(folder.databasePath + "-wal") < 0)
    }

    /// The size of the file at `path`, -1 when there is none.
    private func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : -1
    }
}
