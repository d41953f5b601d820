import Foundation
import Testing
@testable import JobControl

@Suite struct StoreReaperTests {
    private func runningBuild(_ store: SQLiteStore, runner: RunnerIdentity) throws -> BuildID {
        let build = try store.createBuild(NewBuild(job: "j", status: .created, trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        try store.markStarted(build.id, runner: runner)
        return build.id
    }

    /// A pid that existed and is gone.
    private func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func onlyBuildsWhoseRunnerIsGoneOrReusedAreReaped() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let me = RunnerIdentity.current()
        let alive = try runningBuild(store, runner: me)
        var reused = me
        reused.processStart += 1
        let pidReused = try runningBuild(store, runner: reused)
        let gone = try runningBuild(store, runner: RunnerIdentity(host: me.host, pid: try deadPid(), processStart: 5))
        let elsewhere = try runningBuild(store, runner: RunnerIdentity(host: "another-host", pid: 1, processStart: 5))
        #expect(try store.reapDeadRunners().sorted() == [pidReused, gone])
        for id in [pidReused, gone] {
            let build = try #require(try store.build(id))
            #expect(build.status == .failed)
            #expect(build.failureKind == .runnerDied)
        }
        #expect(try store.build(alive)?.status == .running)
        #expect(try store.build(elsewhere)?.status == .running)
    }

    @Test func theProcessGroupOfADeadRunnersBuildIsKilled() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["300"]
        try sleeper.run()  // in a process group of its own
        #expect(getpgid(sleeper.processIdentifier) == sleeper.processIdentifier)
        let me = RunnerIdentity.current()
        let build = try runningBuild(store, runner: RunnerIdentity(
            host: me.host, pid: try deadPid(), processStart: 5, processGroup: sleeper.processIdentifier))
        #expect(try store.reapDeadRunners() == [build])
        sleeper.waitUntilExit()
        #expect(sleeper.terminationReason == .uncaughtSignal)
        #expect(sleeper.terminationStatus == SIGKILL)
    }

    @Test(.bug(id: 3)) func aReapedBuildEndsWhenItWasLastSeenAlive() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let me = RunnerIdentity.current()
        store.clock = { Date(timeIntervalSince1970: 1_800_000_000) }
        let build = try runningBuild(store, runner: RunnerIdentity(host: me.host, pid: try deadPid(), processStart: 5))
        store.clock = { Date(timeIntervalSince1970: 1_800_000_060.5) }
        try store.markAlive([build])
        store.clock = { Date(timeIntervalSince1970: 1_800_003_600) }
        #expect(try store.reapDeadRunners() == [build])
        let record = try #require(try store.build(build))
        #expect(record.finishedAt == Date(timeIntervalSince1970: 1_800_000_060.5))
        #expect(record.error == "runner died; last seen at 2027-01-15T08:01:00.500Z")
    }

    @Test func thisProcessStartTimeComesFromProc() {
        let me = RunnerLiveness.currentRunnerIdentity()
        #expect(me.pid == getpid())
        #expect(me.processStart > 0)
        #expect(RunnerLiveness.isAlive(me))
        #expect(RunnerLiveness.processStat(of: getpid())?.state != "Z")
        #expect(RunnerLiveness.processStat(of: 0) == nil)
    }
}
