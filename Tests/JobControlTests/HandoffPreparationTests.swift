import Foundation
import Testing

@testable import JobControl

/// What a worker does while a build's process runs instead of between one
/// build's end and the next one's start (issue #4): the next build's
/// definition is worked out ahead, and the ended build's lock is released
/// once the next process started.
@Suite struct HandoffPreparationTests {
    private func run(_ list: [Job], workers: Int, folder: StoreFolder, store: SQLiteStore) throws -> RunSummary {
        let jobs = JobSet(
            projectDir: URL(fileURLWithPath: folder.path), jobsDir: URL(fileURLWithPath: folder.path + "/jobs.d"),
            settings: Settings(), jobs: list)
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: testNow)
        let options = Scheduler.Options(
            workers: workers, lockDirectory: URL(fileURLWithPath: folder.path + "/locks"),
            environment: ["PATH": "/usr/bin:/bin"])
        return Scheduler(jobs: jobs, store: store, launcher: ProcessLauncher(), options: options).run(plan)
    }

    /// Every build stores its own job's snapshot and hash, whichever way
    /// its definition was made (ahead, in the hand-over, or at its turn).
    @Test(arguments: [1, 2])
    func eachBuildStoresItsOwnJobsDefinition(workers: Int) throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        defer { store.close() }
        var list: [Job] = (1...5).map { index in
            testJob(
                "c\(index)", deps: index > 1 ? ["c\(index - 1)"] : [],
                command: .argv([.text("/bin/echo"), .text("chain \(index)")]))
        }
        list += (1...5).map { index in
            testJob("s\(index)", command: .argv([.text("/bin/echo"), .text("single \(index)")]), retries: index)
        }
        let summary = try run(list, workers: workers, folder: folder, store: store)
        #expect(summary.exitCode == 0)
        let builds = try store.builds(BuildQuery(limit: 100))
        #expect(builds.count == list.count)
        let byID = Dictionary(uniqueKeysWithValues: list.map { ($0.id, $0) })
        for build in builds {
            let job = try #require(byID[build.job])
            #expect(build.configSnapshot == job.buildSnapshotJSON(), "\(build.job)")
            #expect(build.configHash == job.definitionHash, "\(build.job)")
        }
    }

    /// While `b` runs, `a`'s lock is free: `b` takes it with flock(1).
    @Test func theEndedBuildsLockIsFreeWhileTheNextOneRuns() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        defer { store.close() }
        let lockOfA = folder.path + "/locks/" + JobLock.fileName(for: "a")
        let script = """
            i=0
            while [ $i -lt 100 ]; do
              flock -n "$0" true && exit 0
              i=$((i + 1)); sleep 0.02
            done
            exit 1
            """
        let list = [
            testJob("a"),
            testJob("b", deps: ["a"], command: .argv([.text("/bin/sh"), .text("-c"), .text(script), .text(lockOfA)])),
        ]
        let summary = try run(list, workers: 1, folder: folder, store: store)
        #expect(summary.exitCode == 0)
        #expect(try store.builds(BuildQuery(newestFirst: false)).map(\.status) == [.successful, .successful])
        for job in ["a", "b"] {
            let lock = try JobLock(directoryPath: folder.path + "/locks", job: job)
            #expect(lock.tryLock(), "\(job)")
        }
    }
}
