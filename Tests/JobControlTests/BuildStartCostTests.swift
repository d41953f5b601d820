import CSpawn
import Foundation
import Testing

@testable import JobControl

/// What a build costs beyond its process (issues #4 and #5: the per-job
/// overhead) without giving up what the store and the runner guarantee.
@Suite struct BuildStartCostTests {
    private func newBuild(_ recorder: BuildRecorder, _ job: JobID = "j") throws -> BuildRecord {
        try recorder.createBuild(
            NewBuild(job: job, trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
    }

    @Test func aBuildEndingBeforeTheNextWriteTakesTwoWriteTransactions() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let recorder = BuildRecorder(store: store, flushInterval: 3_600)
        let before = store.transactionCount
        let build = try newBuild(recorder)
        recorder.noteStarted(build.id, runner: .current(processGroup: 4242))
        try recorder.finishBuild(build.id, result: BuildResult(status: .successful, exitCode: 0))
        #expect(store.transactionCount - before == 2)  // created running, finished
        let stored = try #require(try store.build(build.id))
        #expect(stored.status == .successful)
        #expect(stored.exitCode == 0)
        #expect(stored.startedAt != nil && stored.finishedAt != nil)
        #expect(stored.runner?.pid == getpid())
        #expect(stored.runner?.processGroup == nil)  // never needed once finished
        try recorder.close()
    }

    @Test func aBuildCreatedRunningIsAtOnceSeenByAnotherConnectionWithItsRunner() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let reader = try folder.openStore(.readOnly)
        let recorder = BuildRecorder(store: store, flushInterval: 3_600)
        let build = try newBuild(recorder)
        let seen = try #require(try reader.build(build.id))
        #expect(seen.status == .running)
        #expect(seen.startedAt != nil)
        #expect(seen.runner == RunnerLiveness.currentRunnerIdentity())
        #expect(seen.runner?.processStart == RunnerLiveness.processStart(of: getpid()))
        #expect(try reader.jobStates(["j"])["j"]?.isRunning == true)
        #expect(try reader.deadRunnerBuilds().isEmpty)
        try recorder.close()
    }

    @Test func theProcessGroupOfARunningBuildIsWrittenWithTheNextWrite() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let reader = try folder.openStore(.readOnly)
        let recorder = BuildRecorder(store: store, flushInterval: 3_600)
        let build = try newBuild(recorder)
        recorder.noteStarted(build.id, runner: .current(processGroup: 4242))
        #expect(try reader.build(build.id)?.runner?.processGroup == nil)
        try recorder.flush()
        let seen = try #require(try reader.build(build.id))
        #expect(seen.runner?.processGroup == 4242)
        #expect(seen.status == .running)
        #expect(seen.startedAt == build.startedAt)
        try recorder.finishBuild(build.id, result: BuildResult(status: .failed, failureKind: .exit, exitCode: 2))
        #expect(try reader.build(build.id)?.status == .failed)
        try recorder.close()
    }

    /// With two workers, one build's end left the other's group to the
    /// background write instead of writing it in a transaction of its own.
    @Test(arguments: [false, true])
    func oneBuildsEndLeavesAnotherBuildsGroupToTheBackgroundWrite(handingOver: Bool) throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let reader = try folder.openStore(.readOnly)
        let recorder = BuildRecorder(store: store, flushInterval: 3_600)
        let first = try newBuild(recorder, "a")
        let other = try newBuild(recorder, "b")
        recorder.noteStarted(first.id, runner: .current(processGroup: 4244))
        recorder.noteStarted(other.id, runner: .current(processGroup: 4245))
        let before = store.transactionCount
        let ended = BuildResult(status: .successful, exitCode: 0)
        if handingOver {
            _ = try recorder.finishBuild(
                first.id, result: ended,
                thenCreate: NewBuild(job: "c", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        } else {
            try recorder.finishBuild(first.id, result: ended)
        }
        #expect(store.transactionCount - before == 1)
        #expect(try reader.build(first.id)?.runner?.processGroup == nil)  // never needed once finished
        #expect(try reader.build(other.id)?.runner?.processGroup == nil)
        try recorder.flush()
        #expect(try reader.build(other.id)?.runner?.processGroup == 4245)
        #expect(try reader.build(other.id)?.status == .running)
        try recorder.close()
    }

    @Test func theBackgroundWriterStoresTheGroupWithinItsInterval() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let reader = try folder.openStore(.readOnly)
        let recorder = BuildRecorder(store: store, flushInterval: 0.05)
        let build = try newBuild(recorder)
        recorder.noteStarted(build.id, runner: .current(processGroup: 4243))
        var group: Int32?
        for _ in 0..<200 where group == nil {  // up to 10 s on a loaded machine
            usleep(50_000)
            group = try reader.build(build.id)?.runner?.processGroup
        }
        #expect(group == 4243)
        try recorder.close()
    }

    @Test func markStartedStillStartsACreatedBuildAndKeepsTheStartOfARunningOne() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let clock = TestClock()
        store.clock = clock.read
        let queued = try store.createBuild(
            NewBuild(job: "q", status: .created, trigger: "queue", reason: "r", configSnapshot: "{}", configHash: "h"))
        clock.advance(5)
        try store.markStarted(queued.id, runner: .current(processGroup: 7))
        let started = try #require(try store.build(queued.id))
        #expect(started.status == .running)
        #expect(started.startedAt == clock.read())
        #expect(started.runner?.processGroup == 7)
        #expect(try store.jobStates(["q"])["q"]?.isRunning == true)
        clock.advance(5)
        try store.markStarted(queued.id, runner: .current(processGroup: 8))
        let again = try #require(try store.build(queued.id))
        #expect(again.startedAt == started.startedAt)
        #expect(again.runner?.processGroup == 8)
        try store.finishBuild(queued.id, result: BuildResult(status: .successful))
        #expect(throws: StoreError.refused("cannot start build #\(queued.id): it is already successful")) {
            try store.markStarted(queued.id, runner: .current(processGroup: 9))
        }
    }

    @Test func theRunnerIdentityIsReadOnceAndStaysRight() {
        let first = RunnerLiveness.currentRunnerIdentity()
        let second = RunnerLiveness.currentRunnerIdentity(processGroup: 12)
        #expect(first.pid == getpid())
        #expect(first.processStart == RunnerLiveness.processStart(of: getpid()))
        #expect(second.processStart == first.processStart)
        #expect(second.processGroup == 12)
        #expect(RunnerLiveness.isAlive(second))
    }

    /// Signal masks of /proc/self/status as the job sees them, without
    /// signals 32 and 33, which glibc keeps for itself (no program can set
    /// them, and the test runner may have left 32 ignored).
    private func jobSignalMasks() throws -> [String: UInt64] {
        let dir = ScratchDir()
        let spec = RunSpec(
            argv: ["/bin/cat", "/proc/self/status"], environment: baseEnvironment, workdir: dir.path)
        let log = EventLog()
        let outcome = ProcessLauncher().run(spec, control: RunControl()) { log.append($0) }
        #expect(outcome.termination == .exited(0))
        var masks: [String: UInt64] = [:]
        let glibcOwn: UInt64 = 0b11 << 31
        for line in log.lines(.stdout) where line.hasPrefix("Sig") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let mask = UInt64(parts[1].trimmingCharacters(in: .whitespaces), radix: 16)
            else { continue }
            masks[String(parts[0])] = mask & ~glibcOwn
        }
        return masks
    }

    @Test func aJobStartsWithDefaultSignalHandlingWhateverJcrunIgnores() throws {
        let none: UInt64 = 0
        // SIGQUIT is always reset; SIGUSR2 once the dispositions are read again.
        let oldQuit = signal(SIGQUIT, SIG_IGN)
        let oldUser = signal(SIGUSR2, SIG_IGN)
        jc_spawn_reread_signals()
        defer {
            signal(SIGQUIT, oldQuit)
            signal(SIGUSR2, oldUser)
            jc_spawn_reread_signals()
        }
        let masks = try jobSignalMasks()
        #expect(masks["SigIgn"] == none)
        #expect(masks["SigCgt"] == none)
        #expect(masks["SigBlk"] == none)
    }

    @Test(arguments: [
        (0.0, "0.0s"), (0.04, "0.0s"), (0.05, "0.1s"), (0.25, "0.2s"), (0.45, "0.5s"), (2.14, "2.1s"),
        (2.35, "2.4s"), (59.9, "59.9s"), (59.94, "59.9s"), (59.95, "1m00s"), (60, "1m00s"),
        (184, "3m04s"), (3599.4, "59m59s"), (3599.6, "1h00m"), (3720, "1h02m"), (86399, "23h59m"),
        (183600, "2d03h"), (-3, "0.0s"),
    ])
    func durationsAreShortAsPrintfWroteThem(_ seconds: Double, _ text: String) {
        #expect(DurationFormat.short(seconds) == text)
        if seconds >= 0 && seconds < 59.95 {
            #expect(DurationFormat.short(seconds) == String(format: "%.1fs", seconds))
        }
    }

    @Test func tenthsAreRoundedAsPrintfRoundsThemNearEveryTie() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = (0..<1_200).flatMap { step -> [Double] in
            let tie = Double(step) / 20  // x.x5: the ties and the values next to them
            return [tie, tie.nextUp, tie.nextDown, tie + 1e-7, tie - 1e-7]
        }
        values += (0..<2_000).map { _ in Double.random(in: 0..<59.95, using: &generator) }
        let wrong = values.filter { $0 >= 0 && $0 < 59.95 && DurationFormat.short($0) != String(format: "%.1fs", $0) }
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
    }
}
