import Foundation
import Testing
@testable import JobControl

/// The listings stay fast with a million builds only if each query walks an
/// index: checked with EXPLAIN QUERY PLAN, not with a clock.
@Suite struct StoreQueryPlanTests {
    private func plan(_ sql: String) throws -> String {
        let folder = StoreFolder()
        let store = try folder.openStore()
        return try store.connection.using("EXPLAIN QUERY PLAN " + sql) { statement in
            var details: [String] = []
            while try statement.step() { details.append(statement.string(3)) }
            return details.joined(separator: "\n")
        }
    }

    @Test(arguments: [
        ("builds --limit 20", SQLiteSQL.builds(job: false, status: false, since: false, newestFirst: true), "SCAN builds"),
        ("builds JOB", SQLiteSQL.builds(job: true, status: false, since: false, newestFirst: true), "USING INDEX builds_by_job (job=?)"),
        ("builds --status", SQLiteSQL.builds(job: false, status: true, since: false, newestFirst: true), "USING INDEX builds_by_status (status=?)"),
        ("builds JOB --status", SQLiteSQL.builds(job: true, status: true, since: false, newestFirst: true), "USING INDEX builds_by_job (job=?)"),
        ("builds JOB --since", SQLiteSQL.builds(job: true, status: false, since: true, newestFirst: true), "USING INDEX builds_by_job (job=?)"),
        ("log", SQLiteSQL.logs(descending: false), "SEARCH log USING INDEX sqlite_autoindex_log_1 (build=? AND first_seq>?)"),
        ("log tail", SQLiteSQL.logs(descending: true), "SEARCH log USING INDEX sqlite_autoindex_log_1 (build=? AND first_seq>?)"),
        ("consumers", SQLiteSQL.consumersOf, "USING INDEX build_inputs_by_consumed (consumed=?)"),
        ("reaping", SQLiteSQL.runningBuilds, "USING INDEX builds_by_status (status=?)"),
    ])
    func listingsWalkAnIndexAndNeverSort(name: String, sql: String, expected: String) throws {
        let plan = try plan(sql)
        #expect(plan.contains(expected), "\(name): \(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "\(name): \(plan)")
    }

    /// One primary-key probe of the summary per job, whatever the number of builds (#3).
    @Test func jobStatesProbesTheSummaryOnly() throws {
        let plan = try plan(SQLiteSQL.jobStateIDs)
        #expect(plan == "SEARCH job_summary USING PRIMARY KEY (job=?)", "\(plan)")
    }
}
