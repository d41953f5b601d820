import Foundation
import PostgresTestSupport
import Testing

@testable import JobControl

/// Job locks in a PostgreSQL store, as two machines (two lock sets) see them.
@Suite(
    .enabled(
        if: PostgresTestServer.skipReason == nil, "no PostgreSQL server (see the printed reason)"))
struct PostgresJobLocksTests {
    @Test func aJobLockedOnOneMachineIsLockedForAnotherUntilReleasedOrClosed() throws {
        let url = try PostgresTestServer.shared.get().createDatabase()
        let first = PostgresJobLocks(url: url)
        let second = PostgresJobLocks(url: url)
        defer {
            first.close()
            second.close()
        }
        #expect(try first.tryLock("crawl"))
        #expect(try !second.tryLock("crawl"))
        #expect(try second.tryLock("report"))  // another job: its own lock
        #expect(try second.tryLock("Crawl"))  // ids differ by case: two jobs

        first.unlock("crawl")
        #expect(try first.tryLock("other"))  // the unlock's answer is read first
        #expect(try second.tryLock("crawl"))
        #expect(try !first.tryLock("crawl"))

        // The session ends: every lock it held is free once the server has
        // seen the connection close (its backend exits).
        second.close()
        var freed = try first.tryLock("crawl")
        for _ in 0..<100 where !freed {
            usleep(50_000)
            freed = try first.tryLock("crawl")
        }
        #expect(freed)
        #expect(try first.tryLock("report"))
    }

    @Test func anUnreachableStoreIsAnErrorWithThePasswordMasked() throws {
        let locks = PostgresJobLocks(url: "postgresql://jcrun:secret@127.0.0.1:1/none")
        #expect {
            try locks.tryLock("a")
        } throws: { error in
            "\(error)".contains("***") && !"\(error)".contains("secret")
        }
    }
}
