import Foundation
import Testing
@testable import JobControl

/// `job_summary` must always equal what the builds say: every write path of
/// the store is checked against a recount done from scratch (issue #3).
@Suite struct StoreSummaryTests {
    /// The summary rows, and what they should be, as comparable text.
    private func summary(_ store: SQLiteStore) throws -> (stored: [String], expected: [String]) {
        func rows(_ sql: String) throws -> [String] {
            try store.connection.using(sql) { statement in
                var rows: [String] = []
                while try statement.step() {
                    let ids = (1...4).map { statement.optionalInt64($0).map(String.init) ?? "-" }
                    rows.append(([statement.string(0)] + ids).joined(separator: " "))
                }
                return rows
            }
        }
        return (try rows(SQLiteSQL.storedSummary), try rows(SQLiteSQL.recomputedSummary))
    }

    private func expectExact(
        _ store: SQLiteStore, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        let (stored, expected) = try summary(store)
        #expect(stored == expected, sourceLocation: sourceLocation)
    }

    private func created(_ store: SQLiteStore, _ job: JobID, _ status: BuildStatus = .created) throws -> BuildID {
        try store.createBuild(NewBuild(
            job: job, status: status, trigger: "cli", reason: "r", configSnapshot: "{}",
            configHash: "h")).id
    }

    @Test func createStartAndFinishKeepItExact() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let queued = try created(store, "a")
        try expectExact(store)
        try store.markStarted(queued, runner: .current())
        try expectExact(store)
        let running = try created(store, "a", .running)
        try expectExact(store)
        #expect(try summary(store).stored == ["a \(running) - - 2"])
        for (id, status) in [(queued, BuildStatus.successful), (running, .skipped)] {
            try store.finishBuild(id, result: BuildResult(status: status))
            try expectExact(store)
        }
        #expect(try summary(store).stored == ["a \(running) \(queued) \(running) 0"])
        try store.finishedBuild("a", .failed)
        try store.finishedBuild("b", .skipped)
        try expectExact(store)
    }

    @Test func anOlderBuildFinishingLastDoesNotHideANewerSuccess() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let older = try created(store, "a", .running)
        let newer = try store.finishedBuild("a", .successful).id
        try store.finishBuild(older, result: BuildResult(status: .successful))
        #expect(try summary(store).stored == ["a \(newer) \(newer) \(newer) 0"])
        try expectExact(store)
    }

    /// Deleting each kind of build the summary names falls back to the next one.
    @Test(arguments: ["latest", "latest successful", "last check", "old", "only"])
    func deletingABuildKeepsItExact(_ which: String) throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let old = try store.finishedBuild("a", .successful).id
        let success = try store.finishedBuild("a", .successful).id
        let check = try store.finishedBuild("a", .skipped).id
        let latest = try store.finishedBuild("a", .failed).id
        let only = try store.finishedBuild("b", .successful).id
        let victims: [String: [BuildID]] = [
            "latest": [latest], "latest successful": [success, latest], "last check": [check],
            "old": [old], "only": [only],
        ]
        for id in try #require(victims[which]) {
            try store.deleteBuild(id)
            try expectExact(store)
        }
        #expect(try store.jobStates(["b"]).isEmpty == (which == "only"))
    }

    @Test func pruningKeepsItExact() throws {
        let folder = StoreFolder()
        let clock = TestClock()
        let store = try folder.openStore()
        store.clock = clock.read
        for job in ["a", "b", "c"] {
            for status in [BuildStatus.successful, .failed, .skipped, .successful, .failed] {
                try store.finishedBuild(job, status)
            }
        }
        try store.finishedBuild("d", .skipped)
        try store.finishedBuild("d", .failed)
        clock.advance(3600)
        let result = try store.prune(PruneRequest(olderThan: clock.read(), keep: 1))
        #expect(result.buildsDeleted > 0)
        try expectExact(store)
    }

    @Test func reapingADeadRunnersBuildKeepsItExact() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let build = try created(store, "a")
        let me = RunnerIdentity.current()
        try store.markStarted(build, runner: RunnerIdentity(host: me.host, pid: Int32.max, processStart: 1))
        #expect(try store.jobStates(["a"])["a"]?.isRunning == true)
        #expect(try store.reapDeadRunners() == [build])
        try expectExact(store)
        #expect(try store.jobStates(["a"])["a"]?.isRunning == false)
    }

    @Test func twoConnectionsWritingInTurnKeepItExact() throws {
        let folder = StoreFolder()
        let first = try folder.openStore()
        let second = try folder.openStore()
        var running: [BuildID] = []
        for round in 0..<20 {
            let store = round % 2 == 0 ? first : second
            running.append(try created(store, "j\(round % 3)", .running))
            if round % 4 == 3, let id = running.first {
                running.removeFirst()
                let other = round % 8 == 3 ? second : first
                try other.finishBuild(id, result: BuildResult(status: round % 3 == 0 ? .skipped : .successful))
            }
            try store.finishedBuild("j\(round % 3)", round % 5 == 0 ? .failed : .successful)
        }
        try expectExact(first)
        try expectExact(second)
    }

    @Test func eightProcessesWritingAtOnceKeepItExact() throws {
        let folder = StoreFolder()
        let processes = try (0..<8).map { worker in
            try StoreStress.start(["write", folder.databasePath, "\(worker % 3)", "10", "10"])
        }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        try expectExact(try folder.openStore(.readOnly))
    }

    /// A store of schema 1 gets its summary filled by the migration.
    @Test func theMigrationFillsTheSummaryFromExistingBuilds() throws {
        let folder = StoreFolder()
        let raw = try SQLiteConnection(path: folder.databasePath, readOnly: false)
        try raw.execute(SQLiteSQL.migrations[0])
        try raw.execute("PRAGMA user_version = 1")
        try raw.execute("PRAGMA application_id = \(SQLiteSQL.applicationID)")
        let rows = [
            ("a", "successful"), ("a", "skipped"), ("a", "failed"), ("b", "running"),
            ("b", "created"), ("c", "skipped"),
        ]
        for (job, status) in rows {
            try raw.execute(
                "INSERT INTO builds (job, status, created_at) VALUES ('\(job)', '\(status)', 0)")
        }
        raw.close()
        let store = try folder.openStore()
        #expect(store.installOutcome == .migrated(from: 1, to: SQLiteStore.schemaVersion))
        #expect(try summary(store).stored == ["a 3 1 2 0", "b 5 - - 2", "c 6 - 6 0"])
        try expectExact(store)
    }

    /// Many jobs take one walk over the summary, few a probe each: both give the same states.
    @Test func theWalkForManyJobsGivesWhatTheProbesGive() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let statuses: [BuildStatus] = [.successful, .skipped, .failed, .successful, .skipped]
        var jobs: [JobID] = []
        for index in 0..<(SQLiteStore.jobCountForOneWalk + 20) {
            let job = "job\(index)"
            jobs.append(job)
            for round in 0..<(index % 4) {
                let status = statuses[(index + round) % statuses.count]
                let inputs = index > 0 && round > 0
                    ? [BuildInput(build: 0, dependency: "job\(index - 1)", consumed: Int64(index), retval: "r")] : []
                try store.finishedBuild(job, status, retval: "\(index)", inputs: inputs)
            }
            if index % 9 == 0 { _ = try created(store, job, .running) }
        }
        try store.finishedBuild("not-asked", .successful)
        let walked = try store.jobStates(jobs + ["never-built"])
        #expect(walked["not-asked"] == nil && walked["never-built"] == nil)
        var probed: [JobID: JobState] = [:]
        for job in jobs { probed.merge(try store.jobStates([job]), uniquingKeysWith: { a, _ in a }) }
        #expect(walked == probed)
        #expect(walked.count > SQLiteStore.jobCountForOneWalk / 2)
    }

    @Test func aBuildCannotMoveToAnotherJob() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let build = try store.finishedBuild("a", .successful)
        #expect(throws: (any Error).self) {
            try store.connection.execute("UPDATE builds SET job = 'b' WHERE id = \(build.id)")
        }
        try expectExact(store)
    }
}
