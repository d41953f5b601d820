import Foundation
import Testing

@testable import JobControl

/// Schema 6 gives `@log` entries the stream `log` (code 3) apart from
/// jcrun's own messages (`jcrun`, code 2): a store of schema 5, whose
/// `@log` lines were written as `jcrun`, opens, migrates and shows its logs
/// as they were; new lines get the new stream; a reader of schema 5 is
/// asked to migrate first, and an older jcrun finds a newer schema.
@Suite struct StoreLogStreamMigrationTests {
    @Test func aStoreOfSchema5KeepsItsLogsAndNewAtLogLinesGetTheirOwnStream() throws {
        let folder = StoreFolder()
        let build: BuildID
        do {
            let store = try folder.openStore()
            build = try store.createBuild(
                NewBuild(job: "a", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h")
            ).id
            let time = Date(timeIntervalSince1970: 1)
            // As schema 5 wrote them: the `@log` line under jcrun.
            try store.appendLogs([
                LogEntry(build: build, seq: 1, time: time, stream: .stdout, level: .info, text: "out"),
                LogEntry(build: build, seq: 2, time: time, stream: .jcrun, level: .warning, text: "disk full"),
            ])
            try store.finishBuild(build, result: BuildResult(status: .successful))
            try store.connection.execute("PRAGMA user_version = 5")
            store.close()
        }
        #expect(
            throws: StoreError.needsMigration(
                path: folder.databasePath, found: 5, supported: SQLiteStore.schemaVersion)
        ) {
            _ = try folder.openStore(.readOnly)
        }

        let store = try folder.openStore()
        #expect(store.installOutcome == .migrated(from: 5, to: 6))
        let old = try store.logs(LogQuery(build: build))
        #expect(old.map(\.stream) == [.stdout, .jcrun])
        #expect(old.map(\.text) == ["out", "disk full"])

        let recorder = BuildRecorder(store: store)
        let next = try recorder.createBuild(
            NewBuild(job: "a", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        recorder.record(.log(level: .error, message: "@log entry"), of: next.id)
        recorder.record(.notice(level: .warning, message: "jcrun's own"), of: next.id)
        try recorder.finishBuild(next.id, result: BuildResult(status: .successful))
        try recorder.close()
        #expect(try store.logs(LogQuery(build: next.id)).map(\.stream) == [.log, .jcrun])
        #expect(try store.logs(LogQuery(build: next.id, stream: .log)).map(\.text) == ["@log entry"])
        store.close()

        // A jcrun of schema 5 refuses the store rather than misread a chunk.
        let raw = try folder.openStore()
        #expect(try raw.connection.integer("PRAGMA user_version") == 6)
        raw.close()
    }
}
