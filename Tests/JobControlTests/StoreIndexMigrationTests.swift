import Foundation
import Testing

@testable import JobControl

/// Schema 5 drops `builds_by_job_status` (issues #4, #5): a store of
/// schema 4 opens, migrates, and shows its builds, logs and job states as
/// before; the job summary stays exact without the index.
@Suite struct StoreIndexMigrationTests {
    private func indexNames(_ store: SQLiteStore) throws -> [String] {
        try store.connection.using(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'builds' ORDER BY name"
        ) { statement in
            var names: [String] = []
            while try statement.step() { names.append(statement.string(0)) }
            return names
        }
    }

    private func summaryIsExact(_ store: SQLiteStore) throws -> Bool {
        func rows(_ sql: String) throws -> [String] {
            try store.connection.using(sql) { statement in
                var rows: [String] = []
                while try statement.step() {
                    rows.append((0...4).map { statement.optionalString($0) ?? "-" }.joined(separator: " "))
                }
                return rows
            }
        }
        return try rows(SQLiteSQL.storedSummary) == rows(SQLiteSQL.recomputedSummary)
    }

    private func build(_ store: SQLiteStore, _ job: JobID, _ status: BuildStatus) throws -> BuildID {
        let id = try store.createBuild(
            NewBuild(job: job, trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h")
        ).id
        try store.finishBuild(id, result: BuildResult(status: status, exitCode: status == .failed ? 1 : 0))
        return id
    }

    @Test func aStoreOfSchema4MigratesAndKeepsItsBuildsAndLogs() throws {
        let folder = StoreFolder()
        var ids: [BuildID] = []
        do {
            let store = try folder.openStore()
            ids.append(try build(store, "a", .successful))
            ids.append(try build(store, "a", .failed))
            ids.append(try build(store, "b", .successful))
            try store.appendLogs([
                LogEntry(build: ids[1], seq: 1, time: Date(timeIntervalSince1970: 1), stream: .stderr, level: .info, text: "boom")
            ])
            // Back to schema 4 as an older jcrun left it.
            try store.connection.execute(
                "CREATE INDEX builds_by_job_status ON builds (job, status, id); PRAGMA user_version = 4")
            store.close()
        }
        #expect(throws: StoreError.needsMigration(path: folder.databasePath, found: 4, supported: SQLiteStore.schemaVersion)) {
            _ = try folder.openStore(.readOnly)
        }

        let store = try folder.openStore()
        #expect(SQLiteStore.schemaVersion == 6)
        #expect(store.installOutcome == .migrated(from: 4, to: 6))
        #expect(try indexNames(store) == ["builds_by_created", "builds_by_job", "builds_by_status"])
        #expect(try store.builds(BuildQuery(newestFirst: false)).map(\.id) == ids)
        #expect(try store.builds(BuildQuery(job: "a", status: .failed)).map(\.id) == [ids[1]])
        #expect(try store.logs(LogQuery(build: ids[1])).map(\.text) == ["boom"])
        let states = try store.jobStates(["a", "b"])
        #expect(states["a"]?.latest?.id == ids[1])
        #expect(states["a"]?.latestSuccessful?.id == ids[0])
        #expect(try summaryIsExact(store))

        // The summary's recount without the index: the latest success deleted.
        let newer = try build(store, "a", .successful)
        try store.deleteBuild(newer)
        #expect(try store.jobStates(["a"])["a"]?.latestSuccessful?.id == ids[0])
        #expect(try summaryIsExact(store))
        store.close()

        let reader = try folder.openStore(.readOnly)
        #expect(try reader.build(ids[2])?.status == .successful)
    }

    @Test func aNewStoreHasNoJobStatusIndex() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        #expect(store.installOutcome == .created)
        #expect(try indexNames(store) == ["builds_by_created", "builds_by_job", "builds_by_status"])
    }
}
