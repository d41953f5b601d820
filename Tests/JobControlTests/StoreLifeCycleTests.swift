import Foundation
import Testing
@testable import JobControl

/// What only the SQLite store has; the life cycle every store shares is
/// checked on both backends by `StoreConformanceLifeCycleTests`.
@Suite struct StoreLifeCycleTests {
    @Test func anInMemoryStoreWorksForOtherComponentsTests() throws {
        let store = try SQLiteStore.inMemory()
        _ = try store.finishedBuild("a", .successful, retval: "v")
        #expect(try store.jobStates(["a"])["a"]?.latestSuccessful?.retval == "v")
        #expect(store.installOutcome == .created)
    }
}
