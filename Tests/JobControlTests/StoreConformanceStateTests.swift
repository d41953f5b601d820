import Foundation
import Testing

@testable import JobControl

/// Job states, logs, pruning, deleting and reaping, the same on every backend.
@Suite struct StoreConformanceStateTests {
    // MARK: Job states

    @Test(arguments: StoreBackend.available)
    func aJobNeverBuiltIsAbsent(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        try store.finishedBuild("a", .successful)
        #expect(try store.jobStates(["a", "b"]).keys.sorted() == ["a"])
        #expect(try store.jobStates([]).isEmpty)
    }

    @Test(arguments: StoreBackend.available)
    func aSkipBeforeAnySuccessIsNotALastCheck(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let skip = try store.finishedBuild("a", .skipped)
        let state = try #require(try store.jobStates(["a"])["a"])
        #expect(state.latest?.id == skip.id)
        #expect(state.latestSuccessful == nil)
        #expect(state.lastCheck == nil)
        #expect(state.lastCheckInputs.isEmpty)
    }

    @Test(arguments: StoreBackend.available)
    func aSkipAfterASuccessIsTheLastCheckWithItsInputs(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let dep = try store.finishedBuild("dep", .successful, retval: "v")
        let ok = try store.finishedBuild("a", .successful, retval: "1")
        let skip = try store.finishedBuild(
            "a", .skipped,
            inputs: [
                BuildInput(build: 0, dependency: "dep", consumed: dep.id, retval: "v")
            ])
        let failed = try store.finishedBuild("a", .failed)
        let states = try store.jobStates(["a", "dep"])
        let state = try #require(states["a"])
        #expect(state.latest?.id == failed.id)
        #expect(state.latestSuccessful?.id == ok.id)
        #expect(state.latestSuccessful?.retval == "1")
        #expect(state.lastCheck?.id == skip.id)
        #expect(
            state.lastCheckInputs == [
                BuildInput(build: skip.id, dependency: "dep", consumed: dep.id, retval: "v")
            ])
        #expect(!state.isRunning)
        #expect(states["dep"]?.lastCheck?.id == dep.id)
    }

    /// A build still created or running is no outcome: `latestFinished` is
    /// the newest one that ended (here a failure), read only then.
    @Test(arguments: StoreBackend.available)
    func anUnfinishedLatestBuildKeepsTheLatestFinishedOne(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let ok = try store.finishedBuild("a", .successful)
        let failed = try store.finishedBuild("a", .failed)
        let running = try store.newBuild("a")
        let queued = try store.newBuild("b", status: .created)
        try store.finishedBuild("c", .skipped)
        let states = try store.jobStates(["a", "b", "c"])
        let a = try #require(states["a"])
        #expect(a.latest?.id == running.id)
        #expect(a.latestFinished?.id == failed.id)
        #expect(a.latestFinished?.status == .failed)
        #expect(a.latestSuccessful?.id == ok.id)
        #expect(a.isRunning)
        #expect(states["b"]?.latest?.id == queued.id)
        #expect(states["b"]?.latestFinished == nil)
        #expect(states["c"]?.latestFinished?.status == .skipped)
    }

    @Test(arguments: StoreBackend.available)
    func aSuccessAfterASkipIsTheLastCheck(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        try store.finishedBuild("a", .successful)
        try store.finishedBuild("a", .skipped)
        let ok = try store.finishedBuild("a", .successful)
        let state = try #require(try store.jobStates(["a"])["a"])
        #expect(state.lastCheck?.id == ok.id)
        #expect(state.latest == state.lastCheck)
    }

    @Test(arguments: StoreBackend.available)
    func aCreatedOrRunningBuildMakesTheJobRunning(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        try store.finishedBuild("a", .successful)
        let queued = try store.newBuild("a", status: .created)
        #expect(try store.jobStates(["a"])["a"]?.isRunning == true)
        #expect(try store.jobStates(["a"])["a"]?.latest?.id == queued.id)
        try store.finishBuild(
            queued.id, result: BuildResult(status: .failed, failureKind: .dependencyFailed))
        #expect(try store.jobStates(["a"])["a"]?.isRunning == false)
    }

    // MARK: Logs

    /// A build with five lines: seq 1...5 at t+0...t+4.
    private func storeWithLog(_ backend: StoreBackend) throws -> (TestStore, BuildID, Date) {
        let test = try TestStore.make(backend)
        let store = test.store
        let build = try store.newBuild("j")
        let t = Date(timeIntervalSince1970: 1_700_000_000)
        try store.appendLogs([
            store.logLine(build.id, 1, "one", level: .debug, time: t),
            store.logLine(build.id, 2, "two", level: .info, stream: .stderr, time: t + 1),
            store.logLine(build.id, 3, "three", level: .warning, stream: .jcrun, time: t + 2),
            store.logLine(build.id, 4, "", level: .error, time: t + 3),
            store.logLine(build.id, 5, "five", level: .critical, time: t + 4),
        ])
        return (test, build.id, t)
    }

    @Test(arguments: StoreBackend.available)
    func linesComeBackInOrderWithEveryField(backend: StoreBackend) throws {
        let (test, build, t) = try storeWithLog(backend)
        let lines = try test.store.logs(LogQuery(build: build))
        #expect(lines.map(\.text) == ["one", "two", "three", "", "five"])
        #expect(
            lines[1]
                == LogEntry(
                    build: build, seq: 2, time: t + 1, stream: .stderr, level: .info, text: "two"))
    }

    static let logFilters: [(String, LogQuery, [Int64])] = [
        ("level warning and above", LogQuery(build: 0, minimumLevel: .warning), [3, 4, 5]),
        ("stderr only", LogQuery(build: 0, stream: .stderr), [2]),
        (
            "since t+1 until t+3",
            LogQuery(
                build: 0, since: Date(timeIntervalSince1970: 1_700_000_001),
                until: Date(timeIntervalSince1970: 1_700_000_003)), [2, 3]
        ),
        ("after seq 3 (follow)", LogQuery(build: 0, afterSeq: 3), [4, 5]),
        ("first two", LogQuery(build: 0, limit: 2), [1, 2]),
        ("tail of two", LogQuery(build: 0, limit: 2, tail: true), [4, 5]),
        (
            "tail of warnings", LogQuery(build: 0, minimumLevel: .warning, limit: 2, tail: true),
            [4, 5]
        ),
    ]

    @Test(arguments: StoreBackend.available)
    func filtersSelectTheRightLines(backend: StoreBackend) throws {
        let (test, build, _) = try storeWithLog(backend)
        for (name, filter, seqs) in Self.logFilters {
            var query = filter
            query.build = build
            #expect(try test.store.logs(query).map(\.seq) == seqs, "\(name)")
        }
    }

    @Test(arguments: StoreBackend.available)
    func bytesThatAreNotUTF8NulAndContinuedPiecesAreKept(backend: StoreBackend) throws {
        let (test, build, t) = try storeWithLog(backend)
        let raw: [UInt8] = [0x66, 0xff, 0xfe, 0x00, 0x67]
        try test.store.appendLogs([
            LogEntry(
                build: build, seq: 6, time: t, stream: .stdout, level: .info,
                text: "f\u{FFFD}\u{FFFD}\0g", raw: raw, continued: true),
            LogEntry(build: build, seq: 7, time: t, stream: .stdout, level: .info, text: "a\0b é"),
        ])
        let lines = try test.store.logs(LogQuery(build: build, afterSeq: 5))
        #expect(lines.count == 2)
        #expect(lines.first?.raw == raw)
        #expect(lines.first?.continued == true)
        #expect(lines.first?.text == "f\u{FFFD}\u{FFFD}\0g")
        #expect(lines.last?.text == "a\0b é")
        #expect(lines.last?.raw == nil)
    }

    @Test(arguments: StoreBackend.available)
    func aDuplicateSeqIsAnErrorNotASilentOverwrite(backend: StoreBackend) throws {
        let (test, build, t) = try storeWithLog(backend)
        #expect(throws: StoreError.self) {
            try test.store.appendLogs([test.store.logLine(build, 5, "again", time: t)])
        }
        #expect(try test.store.logs(LogQuery(build: build)).last?.text == "five")
    }

    @Test(arguments: StoreBackend.available)
    func theRecorderBatchesManyLinesIntoFewTransactions(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let recorder = BuildRecorder(store: test.store)
        let build = try recorder.createBuild(
            NewBuild(job: "j", trigger: "cli", reason: "r", configSnapshot: "{}", configHash: "h"))
        let before = test.store.transactionCount
        for line in 0..<20_000 {
            recorder.log(build.id, stream: .stdout, level: .info, text: "line \(line)")
        }
        try recorder.finishBuild(build.id, result: BuildResult(status: .successful))
        try recorder.close()
        let transactions = test.store.transactionCount - before
        #expect(transactions < 200, "\(transactions) transactions for 20,000 lines")
        #expect(try test.store.logs(LogQuery(build: build.id)).map(\.seq) == Array(1...20_000))
    }

    // MARK: Pruning and deleting

    private let future = Date(timeIntervalSince1970: 4_000_000_000)

    private func remaining(_ store: any BuildStore) throws -> [BuildID] {
        try store.builds(BuildQuery(newestFirst: false)).map(\.id)
    }

    @Test(arguments: StoreBackend.available)
    func pruneKeepsTheLatestTheLatestSuccessfulAndTheLastCheck(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let s1 = try store.finishedBuild("a", .successful)
        let f2 = try store.finishedBuild("a", .failed)
        let s3 = try store.finishedBuild("a", .successful)
        let k4 = try store.finishedBuild("a", .skipped)
        let f5 = try store.finishedBuild("a", .failed)
        try store.appendLogs([
            store.logLine(s1.id, 1, "x"), store.logLine(s1.id, 2, "y"),
            store.logLine(f2.id, 1, "z"),
        ])
        let result = try store.prune(PruneRequest(olderThan: future))
        #expect(result == PruneResult(buildsDeleted: 2, logLinesDeleted: 3))
        #expect(try remaining(store) == [s3.id, k4.id, f5.id])
        #expect(try store.logs(LogQuery(build: s1.id)).isEmpty)
    }

    @Test(arguments: StoreBackend.available)
    func pruneKeepsCreatedAndRunningBuilds(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let queued = try store.newBuild("a", status: .created)
        let running = try store.newBuild("a")
        try store.finishedBuild("a", .failed)
        try store.finishedBuild("a", .failed)
        _ = try store.prune(PruneRequest(olderThan: future))
        #expect(try remaining(store).prefix(2) == [queued.id, running.id])
    }

    @Test(arguments: StoreBackend.available)
    func pruneKeepsBuildsConsumedByKeptBuildsThroughAChain(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let x1 = try store.finishedBuild("x", .successful)
        let x2 = try store.finishedBuild("x", .successful)
        let y1 = try store.finishedBuild(
            "y", .successful,
            inputs: [BuildInput(build: 0, dependency: "x", consumed: x1.id, retval: nil)])
        let y2 = try store.finishedBuild(
            "y", .successful,
            inputs: [BuildInput(build: 0, dependency: "x", consumed: x2.id, retval: nil)])
        let z1 = try store.finishedBuild(
            "z", .successful,
            inputs: [BuildInput(build: 0, dependency: "y", consumed: y1.id, retval: nil)])
        try store.finishedBuild("x", .failed)
        let lone = try store.finishedBuild("w", .failed)
        try store.finishedBuild("w", .failed)
        let result = try store.prune(PruneRequest(olderThan: future))
        #expect(result.buildsDeleted == 1)
        #expect(try store.build(lone.id) == nil)
        for kept in [x1, x2, y1, y2, z1] { #expect(try store.build(kept.id) != nil) }
    }

    @Test(arguments: StoreBackend.available)
    func pruneKeepLeavesTheNewestBuildsOfEachJob(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let ids = try (0..<5).map { _ in try store.finishedBuild("a", .failed).id }
        let other = try (0..<2).map { _ in try store.finishedBuild("b", .failed).id }
        let result = try store.prune(PruneRequest(olderThan: future, keep: 3))
        #expect(result.buildsDeleted == 2)
        #expect(try remaining(store) == Array(ids.suffix(3)) + other)
    }

    @Test(arguments: StoreBackend.available)
    func pruneTakesOnlyBuildsOlderThanTheCutoffOfTheNamedJob(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let clock = TestClock()
        store.clock = clock.read
        let oldA = try store.finishedBuild("a", .failed)
        let oldB = try store.finishedBuild("b", .failed)
        clock.advance(100)
        let cutoff = clock.read()
        let newA = try store.finishedBuild("a", .failed)
        try store.finishedBuild("a", .failed)
        try store.finishedBuild("b", .failed)
        _ = try store.prune(PruneRequest(olderThan: cutoff, job: "a"))
        #expect(try store.build(oldA.id) == nil)
        #expect(try store.build(oldB.id) != nil)
        #expect(try store.build(newA.id) != nil)
    }

    /// A dry run names what would go and deletes nothing; `exceptJobs`
    /// spares those jobs' builds (what `jcrun prune` uses to run cleanups first).
    @Test(arguments: StoreBackend.available)
    func pruneDryRunListsAndExceptJobsSpares(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let a1 = try store.finishedBuild("a", .failed)
        let b1 = try store.finishedBuild("b", .failed)
        let a2 = try store.finishedBuild("a", .failed)
        let b2 = try store.finishedBuild("b", .failed)
        var request = PruneRequest(olderThan: Date().addingTimeInterval(3600))
        request.dryRun = true
        request.listBuildsOf = ["b"]
        let found = try store.prune(request)
        #expect(found.jobs == ["a", "b"])
        #expect(found.buildIDs == [b1.id])
        #expect(try store.build(a1.id) != nil && store.build(b1.id) != nil)
        request.dryRun = false
        request.exceptJobs = ["a"]
        #expect(try store.prune(request).buildsDeleted == 1)
        #expect(try store.build(a1.id) != nil)
        #expect(try store.build(b1.id) == nil)
        #expect(try store.build(a2.id) != nil && store.build(b2.id) != nil)
    }

    @Test(arguments: StoreBackend.available)
    func pruneLogsOnlyDeletesLinesAtTheLevelAndBelow(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let old = try store.finishedBuild("a", .failed)
        let latest = try store.finishedBuild("a", .failed)
        for build in [old.id, latest.id] {
            try store.appendLogs([
                store.logLine(build, 1, "d", level: .debug),
                store.logLine(build, 2, "i", level: .info),
                store.logLine(build, 3, "w", level: .warning),
                store.logLine(build, 4, "e", level: .error),
            ])
        }
        let result = try store.prune(
            PruneRequest(olderThan: future, logsOnly: true, level: .info, vacuum: true))
        #expect(result == PruneResult(buildsDeleted: 0, logLinesDeleted: 2))
        #expect(try store.logs(LogQuery(build: old.id)).map(\.text) == ["w", "e"])
        #expect(try store.logs(LogQuery(build: latest.id)).count == 4)
        #expect(try remaining(store) == [old.id, latest.id])
    }

    @Test(arguments: StoreBackend.available)
    func deleteRefusesCreatedAndRunningBuilds(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        let queued = try store.newBuild("a", status: .created)
        let running = try store.newBuild("a")
        #expect(throws: StoreError.refused("build #\(queued.id) is created and cannot be deleted"))
        { try store.deleteBuild(queued.id) }
        #expect(throws: StoreError.refused("build #\(running.id) is running and cannot be deleted"))
        { try store.deleteBuild(running.id) }
        #expect(throws: StoreError.noSuchBuild(999)) { try store.deleteBuild(999) }
    }

    @Test(arguments: StoreBackend.available)
    func deleteCascadesToLogProgressAndInputsButKeepsConsumersLineage(backend: StoreBackend) throws
    {
        let store = try TestStore.make(backend).store
        let dep = try store.finishedBuild("dep", .successful)
        let build = try store.finishedBuild(
            "a", .successful,
            inputs: [BuildInput(build: 0, dependency: "dep", consumed: dep.id, retval: nil)])
        let user = try store.finishedBuild(
            "b", .successful,
            inputs: [BuildInput(build: 0, dependency: "a", consumed: build.id, retval: nil)])
        try store.appendLogs([store.logLine(build.id, 1, "x")])
        try store.saveProgress([
            ProgressRecord(
                build: build.id, group: [], current: 1, total: 1, status: nil, updatedAt: Date())
        ])
        try store.deleteBuild(build.id)
        #expect(try store.build(build.id) == nil)
        #expect(try store.logs(LogQuery(build: build.id)).isEmpty)
        #expect(try store.progress(of: build.id).isEmpty)
        #expect(try store.inputs(of: build.id).isEmpty)
        #expect(try store.consumers(of: dep.id).isEmpty)
        #expect(try store.inputs(of: user.id).map(\.consumed) == [build.id])
    }

    // MARK: Concurrency

    @Test(arguments: StoreBackend.available)
    func eightThreadsWithTheirOwnConnectionsLoseNothing(backend: StoreBackend) throws {
        let test = try TestStore.make(backend)
        let failures = ClaimLog()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            do {
                let store = try test.reopen()
                for _ in 0..<10 {
                    let build = try store.newBuild("w\(worker)")
                    for batch in 0..<2 {
                        try store.appendLogs((1...50).map { store.logLine(build.id, Int64(batch * 50 + $0), "x") })
                    }
                    try store.finishBuild(build.id, result: BuildResult(status: .successful))
                }
            } catch {
                failures.add(-1)
            }
        }
        #expect(failures.ids.isEmpty)
        let builds = try test.store.builds(BuildQuery(status: .successful))
        #expect(builds.count == 80)
        #expect(Set(builds.map(\.id)).count == 80)
        for build in builds.prefix(8) {
            #expect(try test.store.logs(LogQuery(build: build.id)).map(\.seq) == Array(1...100))
        }
    }

    // MARK: Reaping

    @Test(arguments: StoreBackend.available)
    func onlyBuildsWhoseRunnerIsGoneOrReusedAreReaped(backend: StoreBackend) throws {
        let store = try TestStore.make(backend).store
        func running(_ runner: RunnerIdentity) throws -> BuildID {
            let build = try store.newBuild("j", status: .created)
            try store.markStarted(build.id, runner: runner)
            return build.id
        }
        let me = RunnerIdentity.current()
        let alive = try running(me)
        var reused = me
        reused.processStart += 1
        let pidReused = try running(reused)
        let gone = try running(RunnerIdentity(host: me.host, pid: try deadPid(), processStart: 5))
        let elsewhere = try running(RunnerIdentity(host: "another-host", pid: 1, processStart: 5))
        #expect(try store.reapDeadRunners().sorted() == [pidReused, gone])
        for id in [pidReused, gone] {
            let build = try #require(try store.build(id))
            #expect(build.status == .failed)
            #expect(build.failureKind == .runnerDied)
            #expect(build.error?.hasPrefix("runner died; last seen at ") == true, "\(build.error ?? "")")
        }
        #expect(try store.build(alive)?.status == .running)
        #expect(try store.build(elsewhere)?.status == .running)
        #expect(try store.reapDeadRunners() == [])
    }
}

/// A pid that existed and is gone.
func deadPid() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}
