import Foundation
import Testing

@testable import JobControl

/// The scheduler with the in-memory store and the scripted launcher.
@Suite struct SchedulerTests {
    /// Plans `request` against `store` and runs it.
    private func run(
        _ jobs: JobSet, _ request: PlanRequest, store: MemoryStore, launcher: ScriptedLauncher,
        workers: Int = 1, keepGoing: Bool = false, observer: BuildObserver? = nil
    ) throws -> RunSummary {
        let plan = try Planner().plan(request, jobs: jobs, store: store, now: testNow)
        let options = Scheduler.Options(workers: workers, keepGoing: keepGoing, environment: ["PATH": "/usr/bin"])
        return Scheduler(jobs: jobs, store: store, launcher: launcher, observer: observer, options: options).run(plan)
    }

    private static let diamond = testJobSet(PlannerTests.diamond)

    @Test(arguments: [1, 4])
    func aDiamondBuildsTheSharedDependencyOnce(workers: Int) throws {
        let store = MemoryStore()
        let launcher = ScriptedLauncher()
        let summary = try run(Self.diamond, PlanRequest(targets: .jobs(["d"])), store: store, launcher: launcher, workers: workers)
        #expect(launcher.jobsRun.sorted() == ["a", "b", "c", "d"])
        #expect(launcher.jobsRun.first == "a" && launcher.jobsRun.last == "d")
        #expect(summary.exitCode == 0)
        let d = try #require(store.records.first { $0.job == "d" })
        let consumed = try store.inputs(of: d.id).map(\.dependency)
        #expect(consumed == ["b", "c"])
        let again = try Planner().plan(PlanRequest(targets: .all, mode: .buildOutdated), jobs: Self.diamond, store: store, now: Date())
        #expect(again.builds.isEmpty)
    }

    @Test func withoutKeepGoingNoBuildStartsAfterAFailure() throws {
        let jobs = testJobSet([testJob("a"), testJob("b"), testJob("c"), testJob("d", deps: ["a"])])
        let launcher = ScriptedLauncher(["a": [.exit(1)]])
        let summary = try run(jobs, PlanRequest(targets: .all), store: MemoryStore(), launcher: launcher)
        #expect(launcher.jobsRun == ["a"])
        #expect(summary.notRun.map { "\($0.job): \($0.why)" } == [
            "b: stopped after a failure", "c: stopped after a failure", "d: dependency 'a' failed",
        ])
        #expect(summary.exitCode == 1)
    }

    @Test func withKeepGoingIndependentBranchesGoOn() throws {
        let jobs = testJobSet([
            testJob("a"), testJob("b"), testJob("c", deps: ["b"]), testJob("d", deps: ["a"]), testJob("e", deps: ["d"]),
        ])
        let launcher = ScriptedLauncher(["a": [.exit(2)]])
        let summary = try run(jobs, PlanRequest(targets: .all), store: MemoryStore(), launcher: launcher, keepGoing: true)
        #expect(launcher.jobsRun == ["a", "b", "c"])
        #expect(summary.notRun.map { "\($0.job): \($0.why)" } == [
            "d: dependency 'a' failed", "e: dependency 'd' was not run",
        ])
        #expect(summary.failedJobs == ["a"])
        #expect(summary.exitCode == 1)
    }

    @Test(arguments: [(value: "v1", rebuilt: false), (value: "v2", rebuilt: true)])
    func earlyCutoffSkipsDependentsWhenTheValueIsTheSame(value: String, rebuilt: Bool) throws {
        let store = MemoryStore()
        let old = testJob("a", command: .argv([.text("old")]), earlyCutoff: true)
        let a = testJob("a", earlyCutoff: true)
        let b = testJob("b", deps: ["a"])
        let c = testJob("c", deps: ["b"])
        let first = store.seed(old, retval: "v1")
        let second = store.seed(b, inputs: [("a", first)])
        store.seed(c, inputs: [("b", second)])
        let launcher = ScriptedLauncher(["a": [.value(value)]])
        let summary = try run(testJobSet([a, b, c]), PlanRequest(targets: .all, mode: .buildOutdated), store: store, launcher: launcher)
        #expect(launcher.jobsRun == (rebuilt ? ["a", "b", "c"] : ["a"]))
        #expect(summary.leftOut.filter { $0.why == .upToDate }.map(\.job) == (rebuilt ? [] : ["b", "c"]))
        #expect(summary.exitCode == 0)
    }

    @Test func aSkippedDependencyLeavesItsDependentsUpToDate() throws {
        let store = MemoryStore()
        let watch = testJob("watch", maxAge: 0)
        let report = testJob("report", deps: ["watch"])
        let first = store.seed(watch)
        store.seed(report, inputs: [("watch", first)])
        let launcher = ScriptedLauncher(["watch": [Script(skip: "nothing changed")]])
        let summary = try run(testJobSet([watch, report]), PlanRequest(targets: .all, mode: .buildOutdated), store: store, launcher: launcher)
        #expect(launcher.jobsRun == ["watch"])
        #expect(summary.builds.map(\.status) == [.skipped])
        #expect(summary.builds.first?.error == "nothing changed")
        #expect(summary.leftOut.contains(LeftOut(job: "report", why: .upToDate)))
    }

    @Test func aPinIsConsumedAndRecordedAsPinned() throws {
        let store = MemoryStore()
        let a = testJob("a")
        let b = testJob("b", deps: ["a"], env: [.init(name: "INPUT", value: .retval("a"))])
        let old = store.seed(a, retval: "old")
        store.seed(a, retval: "new")
        let launcher = ScriptedLauncher()
        let summary = try run(testJobSet([a, b]), PlanRequest(targets: .jobs(["b"]), pins: ["a": old]), store: store, launcher: launcher)
        let build = try #require(summary.builds.first)
        #expect(try store.inputs(of: build.id) == [BuildInput(build: build.id, dependency: "a", consumed: old, retval: "old", pinned: true)])
        #expect(launcher.specs.first?.environment["INPUT"] == "old")
        #expect(launcher.specs.first?.environment["JCRUN_RETVAL_A"] == "old")
    }

    @Test func retriesStoreEachAttemptWithItsNumber() throws {
        let jobs = testJobSet([testJob("flaky", retries: 2)])
        let launcher = ScriptedLauncher(["flaky": [.exit(1), Script(termination: .signaled(9, "SIGKILL")), .ok]])
        let summary = try run(jobs, PlanRequest(targets: .all), store: MemoryStore(), launcher: launcher)
        #expect(summary.builds.map(\.attempt) == [1, 2, 3])
        #expect(summary.builds.map(\.status) == [.failed, .failed, .successful])
        #expect(summary.builds.map(\.failureKind) == [.exit, .signal, nil])
        #expect(launcher.specs.map { $0.environment["JCRUN_ATTEMPT"] } == ["1", "2", "3"])
        #expect(summary.exitCode == 0)
    }

    @Test func aStartFailureIsNotRetried() throws {
        let jobs = testJobSet([testJob("x", retries: 3)])
        let launcher = ScriptedLauncher(["x": [Script(termination: .startFailed(code: 127, message: "program 'nope' not found"))]])
        let summary = try run(jobs, PlanRequest(targets: .all), store: MemoryStore(), launcher: launcher)
        #expect(summary.builds.count == 1)
        #expect(summary.builds.first?.error == "program 'nope' not found")
        #expect(summary.exitCode == 1)
    }

    @Test func aRetvalWithoutValueFailsTheBuildBeforeItStarts() throws {
        let a = testJob("a")
        let b = testJob("b", deps: ["a"], env: [.init(name: "INPUT", value: .retval("a"))])
        let launcher = ScriptedLauncher()
        let summary = try run(testJobSet([a, b]), PlanRequest(targets: .jobs(["b"])), store: MemoryStore(), launcher: launcher)
        #expect(launcher.jobsRun == ["a"])
        let failed = try #require(summary.builds.last)
        #expect(failed.failureKind == .startFailed)
        #expect(failed.exitCode == 126)
        #expect(failed.error == "a returned no value")
    }

    @Test func theEnvironmentFollowsTheProtocolsOrder() throws {
        let store = MemoryStore()
        let dep = testJob("crawl-é.x")
        let job = Job(
            id: "report", command: .shell("echo \"$1\""), args: [.text("one"), .secret("token")],
            env: [.init(name: "JCRUN_JOB_ID", value: .text("mine")), .init(name: "HOME", value: .text("/srv"))],
            dependencies: ["crawl-é.x"], workdir: "out/../work", directives: .off)
        let value = store.seed(dep, retval: "v")
        store.seed(job, retval: "before", inputs: [("crawl-é.x", value)])
        let jobs = testJobSet([dep, job], secrets: ["token": "s3cret"])
        let launcher = ScriptedLauncher()
        let plan = try Planner().plan(PlanRequest(targets: .jobs(["report"])), jobs: jobs, store: store, now: testNow)
        let options = Scheduler.Options(environment: ["PATH": "/bin", "HOME": "/root", "JCRUN_RETVAL_OLD": "x"])
        _ = Scheduler(jobs: jobs, store: store, launcher: launcher, options: options).run(plan)
        let spec = try #require(launcher.specs.first)
        #expect(spec.argv == ["/bin/sh", "-c", "echo \"$1\"", "jcrun-report", "one", "s3cret"])
        #expect(spec.workdir == "/tmp/jcrun-plan-project/work")
        #expect(spec.secrets == ["s3cret"])
        #expect(spec.environment == [
            "PATH": "/bin", "HOME": "/srv", "JCRUN": "1", "JCRUN_PROTOCOL": "1", "JCRUN_JOB_ID": "report",
            "JCRUN_BUILD_ID": "3", "JCRUN_ATTEMPT": "1", "JCRUN_PROJECT_DIR": "/tmp/jcrun-plan-project",
            "JCRUN_RETVAL_CRAWL___X": "v", "JCRUN_PREVIOUS_RETVAL": "before",
            "JCRUN_DIRECTIVE_FD": "3",  // open under directives: off too (PROTOCOL.md)
        ])
    }

    @Test func aRelativeProgramIsRelativeToTheProjectFolder() throws {
        let job = testJob("a", command: .argv([.text("scripts/run.sh"), .text("x")]))
        let launcher = ScriptedLauncher()
        _ = try run(testJobSet([job]), PlanRequest(targets: .all), store: MemoryStore(), launcher: launcher)
        #expect(launcher.specs.first?.argv == ["/tmp/jcrun-plan-project/scripts/run.sh", "x"])
        #expect(launcher.specs.first?.environment["JCRUN_DIRECTIVE_FD"] == "3")
    }

    @Test func aValueTooLargeForTheEnvironmentIsLeftOutWithAWarning() throws {
        let store = MemoryStore()
        let a = testJob("a")
        let b = testJob("b", deps: ["a"])
        store.seed(a, retval: String(repeating: "x", count: 131_071 - "JCRUN_RETVAL_A=".utf8.count + 1))
        let launcher = ScriptedLauncher()
        let summary = try run(testJobSet([a, b]), PlanRequest(targets: .jobs(["b"])), store: store, launcher: launcher)
        #expect(launcher.specs.first?.environment["JCRUN_RETVAL_A"] == nil)
        let build = try #require(summary.builds.first)
        #expect(try store.logs(LogQuery(build: build.id)).map(\.text) == [
            "JCRUN_RETVAL_A is left unset: the value of 'a' is 131057 bytes, above the environment's limit",
        ])
    }

    @Test func eventsReachTheStoreAndTheObserver() throws {
        let observer = RecordingObserver()
        let store = MemoryStore()
        let events: [RunEvent] = [
            .output(stream: .stdout, text: "hello", raw: nil, continued: false),
            .progress(ProgressUpdate(group: ["x"], current: 1, total: 2)),
            .log(level: .warning, message: "careful"),
        ]
        let launcher = ScriptedLauncher(["a": [Script(events: events, retval: "42")]])
        let summary = try run(testJobSet([testJob("a")]), PlanRequest(targets: .all), store: store, launcher: launcher, observer: observer)
        let build = try #require(summary.builds.first)
        #expect(build.retval == "42")
        #expect(try store.build(build.id)?.retval == "42")
        #expect(store.logRows.map { "\($0.seq) \($0.stream.rawValue) \($0.level.rawValue) \($0.text)" } == [
            "1 stdout info hello", "2 log warning careful",
        ])
        #expect(store.progressRows.map(\.group) == [["x"]])
        #expect(observer.lines == ["plan [\"a\"]", "started a attempt 1", "finished a successful", "run finished"])
    }

    /// The group is written with the recorder's next write, not at once: a
    /// build that ends first never needs it (BuildStartCostTests).
    @Test func aRunningBuildsProcessGroupReachesTheStore() throws {
        let store = MemoryStore()
        let gate = Gate()
        let launcher = ScriptedLauncher(["a": [Script(gate: gate)]])
        let jobs = testJobSet([testJob("a")])
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, store: store, now: testNow)
        let recorder = BuildRecorder(store: store, flushInterval: 0.02)
        let scheduler = Scheduler(
            jobs: jobs, recorder: recorder, launcher: launcher,
            options: Scheduler.Options(workers: 1, environment: ["PATH": "/usr/bin"]))
        let box = SummaryBox()
        Thread { box.set(scheduler.run(plan)) }.start()
        #expect(gate.waitForArrivals(1))
        var runner: RunnerIdentity?
        for _ in 0..<200 where runner == nil {  // up to 10 s on a loaded machine
            usleep(50_000)
            runner = store.startedRunnersNow.values.first
        }
        gate.open()
        let summary = try #require(box.wait())
        try recorder.close()
        #expect(summary.exitCode == 0)
        #expect(runner?.pid == getpid())
        #expect(runner?.processGroup == 4242)
    }

    @Test func aMissingDependencyUnderNoDepsStopsTheRun() throws {
        let jobs = testJobSet([testJob("a"), testJob("b", deps: ["a"]), testJob("c")])
        let launcher = ScriptedLauncher()
        let request = PlanRequest(targets: .jobs(["b", "c"]), noDeps: true)
        let summary = try run(jobs, request, store: MemoryStore(), launcher: launcher)
        #expect(launcher.jobsRun.isEmpty)
        #expect(summary.notRun.map { "\($0.job): \($0.why)" } == [
            "b: dependency 'a' has no successful build", "c: stopped: dependency 'a' has no successful build",
        ])
        #expect(summary.exitCode == 3)
        let kept = try run(jobs, request, store: MemoryStore(), launcher: launcher, keepGoing: true)
        #expect(launcher.jobsRun == ["c"])
        #expect(kept.exitCode == 3)
    }

    @Test func aProtectedDependencyIsUsedAsIsOrStopsTheRun() throws {
        let p = testJob("p", protect: true)
        let r = testJob("r", deps: ["p"])
        let empty = try run(testJobSet([p, r]), PlanRequest(targets: .jobs(["r"])), store: MemoryStore(), launcher: ScriptedLauncher())
        #expect(empty.builds.isEmpty)
        #expect(empty.exitCode == 3)
        let store = MemoryStore()
        store.seed(p, status: .failed, kind: .exit)
        let good = store.seed(p, retval: "kept")
        store.seed(p, status: .failed, kind: .exit)
        let launcher = ScriptedLauncher()
        let used = try run(testJobSet([p, r]), PlanRequest(targets: .jobs(["r"])), store: store, launcher: launcher)
        #expect(launcher.jobsRun == ["r"])
        #expect(used.leftOut == [LeftOut(job: "p", why: .protectedUsedAsIs(good))])
        #expect(used.exitCode == 0)
    }

    /// A cron `build-outdated` must not wait for someone to build an
    /// unrelated protected job by hand.
    @Test func buildOutdatedOfEverythingBuildsAroundAProtectedJobNeverBuilt() throws {
        let jobs = testJobSet([
            testJob("p", protect: true), testJob("r", deps: ["p"]), testJob("free"),
        ])
        let launcher = ScriptedLauncher()
        let summary = try run(
            jobs, PlanRequest(targets: .all, mode: .buildOutdated), store: MemoryStore(),
            launcher: launcher)
        #expect(launcher.jobsRun == ["free"])
        #expect(summary.notRun.map { "\($0.job): \($0.why)" } == [
            "r: dependency 'p' has no successful build"
        ])
        #expect(summary.exitCode == 3)
    }

    @Test func anInterruptStopsSchedulingAndEndsTheRunningBuild() throws {
        let jobs = testJobSet([testJob("a"), testJob("b"), testJob("c", deps: ["a"])])
        let arrived = Gate()
        arrived.open()
        let launcher = ScriptedLauncher(["a": [Script(waitForInterrupt: true, gate: arrived)]])
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, states: [:], now: testNow)
        let scheduler = Scheduler(jobs: jobs, store: MemoryStore(), launcher: launcher, options: .init(workers: 1))
        let box = SummaryBox()
        let thread = Thread { box.set(scheduler.run(plan)) }
        thread.start()
        #expect(arrived.waitForArrivals(1))
        scheduler.interrupt(signal: SIGINT)
        let summary = try #require(box.wait())
        #expect(launcher.jobsRun == ["a"])
        #expect(summary.builds.map(\.failureKind) == [.interrupted])
        #expect(summary.builds.first?.error == "interrupted by SIGINT")
        #expect(summary.notRun.map { "\($0.job): \($0.why)" } == ["b: interrupted", "c: interrupted"])
        #expect(summary.exitCode == 130)
    }
}

extension SchedulerTests {
    @Test func aSecondInterruptKillsTheRunningBuildAtOnce() throws {
        let jobs = testJobSet([testJob("a"), testJob("b")])
        let arrived = Gate()
        arrived.open()
        let launcher = ScriptedLauncher(["a": [Script(waitForInterrupt: true, onlyKillStops: true, gate: arrived)]])
        let plan = try Planner().plan(PlanRequest(targets: .all), jobs: jobs, states: [:], now: testNow)
        let scheduler = Scheduler(jobs: jobs, store: MemoryStore(), launcher: launcher, options: .init(workers: 1))
        let box = SummaryBox()
        Thread { box.set(scheduler.run(plan)) }.start()
        #expect(arrived.waitForArrivals(1))
        scheduler.interrupt(signal: SIGTERM)
        scheduler.interrupt(signal: SIGTERM)
        let summary = try #require(box.wait())
        #expect(summary.builds.map(\.signal) == ["SIGKILL"])
        #expect(summary.notRun.map { "\($0.job): \($0.why)" } == ["b: interrupted"])
        #expect(summary.exitCode == 143)
    }
}

/// Hands a summary from the thread that ran the scheduler to the test.
final class SummaryBox: @unchecked Sendable {
    private let condition = NSCondition()
    private var summary: RunSummary?

    func set(_ value: RunSummary) { condition.withLock { summary = value; condition.broadcast() } }

    func wait() -> RunSummary? {
        condition.withLock {
            let deadline = Date().addingTimeInterval(10)
            while summary == nil { if !condition.wait(until: deadline) { break } }
            return summary
        }
    }
}
