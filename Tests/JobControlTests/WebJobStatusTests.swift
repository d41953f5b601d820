import Foundation
import Testing

@testable import JobControl

/// The web page labels jobs as `status` does: a job planned only because a
/// dependency is checked first (`max_age: 0`) keeps its last check's label
/// and has no outdated reason; the dependency due by its `max_age` is
/// outdated.
@Suite struct WebJobStatusTests {
    @Test func aConditionalDependentIsNotOutdatedOnThePage() throws {
        let store = MemoryStore()
        let watch = testJob("watch", maxAge: 0)
        let report = testJob("report", deps: ["watch"])
        let first = store.seed(watch)
        store.seed(report, inputs: [("watch", first)])
        let status = try WebJobStatus(jobs: testJobSet([watch, report]), store: store, now: testNow)
        #expect(status.label("watch") == .outdated)
        #expect(status.outdated["watch"] == "last check is older than max_age 0s")
        #expect(status.label("report") == .successful)
        #expect(status.outdated["report"] == nil)
    }
}
