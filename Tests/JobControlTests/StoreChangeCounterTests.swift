import Foundation
import Testing

@testable import JobControl

/// `BuildStore.changeCounter`, which lets `jcrun web` keep every job's status
/// between requests (issue #9): it must move with every change made through
/// any connection, and stay put while nothing is written, on both backends.
@Suite(.bug(id: 9)) struct StoreChangeCounterTests {
    /// The counter as a reader (the web page's read-only connection) sees it.
    private static func read(_ reader: any BuildStore) throws -> Int64 {
        try #require(try reader.changeCounter())
    }

    @Test(arguments: StoreBackend.available)
    func everyWriteOfAnotherConnectionMovesIt(backend: StoreBackend) throws {
        let made = try TestStore.make(backend)
        let writer = made.store
        let reader = try made.reopen(.readOnly)
        var seen: Set<Int64> = [try Self.read(reader)]
        func moved(_ what: Comment) throws {
            let now = try Self.read(reader)
            #expect(!seen.contains(now), what)
            seen.insert(now)
        }
        let build = try writer.createBuild(
            NewBuild(job: "a", trigger: "cli", reason: "test", configSnapshot: "{}", configHash: "h"))
        try moved("a build created")
        try writer.appendLogs([writer.logLine(build.id, 1, "one line")])
        try moved("a log line")
        try writer.finishBuild(build.id, result: BuildResult(status: .successful, exitCode: 0))
        try moved("a build finished")
        try writer.deleteBuild(build.id)
        try moved("a build deleted")
    }

    @Test(arguments: StoreBackend.available)
    func aWriteThroughTheReadersOwnConnectionMovesIt(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let before = try Self.read(store)
        try store.finishedBuild("a", .failed)
        #expect(try Self.read(store) != before)
    }

    /// Nothing written, nothing moved: reads (the web page's own) never move
    /// it. SQLite only: PostgreSQL's log position is the whole server's, and
    /// the other tests' databases on the shared test server write all the
    /// time; there it only has to move (the tests above).
    @Test(arguments: [StoreBackend.sqlite])
    func itStaysPutWhileNothingIsWritten(backend: StoreBackend) throws {
        let made = try TestStore.make(backend)
        try made.store.finishedBuild("a", .successful)
        let reader = try made.reopen(.readOnly)
        _ = try reader.jobStates(["a"])
        let before = try Self.read(reader)
        for _ in 0..<5 {
            _ = try reader.jobStates(["a"])
            _ = try reader.builds(BuildQuery(limit: 10))
        }
        #expect(try Self.read(reader) == before)
    }

    /// `othersChangeCounter`, which the scheduler reads as it takes a job's
    /// lock: a commit of another connection moves it, the connection's own
    /// writes never do (a run's own builds are not news to it). PostgreSQL
    /// cannot tell the two apart and says nil (the scheduler then reads again).
    @Test(arguments: StoreBackend.available)
    func othersCounterMovesWithAnotherConnectionsCommitOnly(backend: StoreBackend) throws {
        let made = try TestStore.make(backend)
        let own = made.store
        guard backend == .sqlite else {
            #expect(try own.othersChangeCounter() == nil)
            return
        }
        let other = try made.reopen(.write)
        let first = try #require(try own.othersChangeCounter())
        try own.finishedBuild("a", .successful)
        _ = try own.jobStates(["a"])
        #expect(try own.othersChangeCounter() == first)
        try other.finishedBuild("a", .failed)
        let moved = try #require(try own.othersChangeCounter())
        #expect(moved != first)
        #expect(try own.othersChangeCounter() == moved)
    }

    /// The write that ends a build and creates the next one's row creates
    /// it only while no other connection committed since the counter was
    /// read; else it ends the build alone (the scheduler judges the next
    /// job again). On both backends.
    @Test(arguments: StoreBackend.available)
    func theCombinedWriteCreatesTheNextRowOnlyWhileNoOneElseWrote(backend: StoreBackend) throws {
        let made = try TestStore.make(backend)
        let own = made.store
        let other = try made.reopen(.write)
        let next = NewBuild(job: "b", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h")
        let ok = BuildResult(status: .successful, exitCode: 0)
        let first = try own.newBuild("a")
        if backend == .sqlite {
            let counter = try #require(try own.othersChangeCounter())
            let created = try own.finishBuild(first.id, result: ok, thenCreate: next, ifOthersCounterIs: counter)
            #expect(created?.job == "b")
            #expect(try own.build(first.id)?.status == .successful)
        }
        let second = try own.newBuild("a")
        let before = try own.othersChangeCounter() ?? 0
        try other.finishedBuild("c", .successful)
        let refused = try own.finishBuild(second.id, result: ok, thenCreate: next, ifOthersCounterIs: before)
        #expect(refused == nil)
        #expect(try own.build(second.id)?.status == .successful)
        #expect(try own.builds(BuildQuery(job: "b")).count == (backend == .sqlite ? 1 : 0))
    }
}
