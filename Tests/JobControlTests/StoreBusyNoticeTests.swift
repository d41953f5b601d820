import CSQLite
import Foundation
import Testing

@testable import JobControl

/// A command that waits for another process's write lock says so once
/// (a tester's `jcrun report` sat silent for 40 s behind a held transaction).
@Suite struct StoreBusyNoticeTests {
    final class Held: @unchecked Sendable {
        let connection: SQLiteConnection
        init(_ connection: SQLiteConnection) { self.connection = connection }
    }

    final class Notices: @unchecked Sendable {
        let lock = NSLock()
        var lines: [String] = []
    }

    @Test func aWriteThatWaitsForAnotherWriterSaysSoOnce() throws {
        let folder = StoreFolder()
        _ = try folder.openStore()
        let holder = try SQLiteConnection(path: folder.databasePath, readOnly: false)
        let waiter = try SQLiteConnection(path: folder.databasePath, readOnly: false)
        sqlite3_busy_timeout(waiter.handle, 50)  // the waits land in the retry loop at once
        let notices = Notices()
        StoreNotice.setHandler { line in notices.lock.withLock { notices.lines.append(line) } }
        defer { StoreNotice.setHandler(nil) }

        try holder.execute("BEGIN EXCLUSIVE")
        let held = Held(holder)
        let released = DispatchSemaphore(value: 0)
        DispatchQueue.global().asyncAfter(deadline: .now() + 1.6) {
            try? held.connection.execute("COMMIT")
            released.signal()
        }
        for _ in 0..<2 {
            try waiter.write { try waiter.execute("INSERT INTO meta (key, value) VALUES ('k' || random(), 'v')") }
        }
        released.wait()
        let mine = notices.lock.withLock { notices.lines.filter { $0.contains(folder.databasePath) } }
        #expect(
            mine == ["waiting for \(folder.databasePath): another process is writing to it (up to 60s)"])
    }
}
