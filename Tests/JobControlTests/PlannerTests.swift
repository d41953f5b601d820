import Foundation
import Testing

@testable import JobControl

/// The planner against JOBS.md's "When a job is outdated", with a fake
/// store's states and a fixed clock.
@Suite struct PlannerTests {
    let planner = Planner()

    /// a <- b, a <- c, b + c <- d
    static let diamond: [Job] = [
        testJob("a"), testJob("b", deps: ["a"]), testJob("c", deps: ["a"]), testJob("d", deps: ["b", "c"]),
    ]

    private func plan(
        _ request: PlanRequest, _ jobs: JobSet, _ store: MemoryStore, now: Date = testNow
    ) throws -> Plan {
        var pinned: [BuildID: BuildRecord] = [:]
        for build in request.pins.values { pinned[build] = try store.build(build) }
        return try planner.plan(request, jobs: jobs, states: store.states(jobs), now: now, pinnedBuilds: pinned)
    }

    /// Seeds one successful build of every job of the diamond, each consuming its dependencies'.
    private func builtDiamond(_ store: MemoryStore) -> [JobID: BuildID] {
        var ids: [JobID: BuildID] = [:]
        for job in Self.diamond {
            ids[job.id] = store.seed(job, inputs: job.dependencies.map { ($0, ids[$0]!) })
        }
        return ids
    }

    @Test func aNeverBuiltDiamondBuildsEveryDependencyOnceInOrder() throws {
        let result = try plan(PlanRequest(targets: .jobs(["d"])), testJobSet(Self.diamond), MemoryStore())
        #expect(result.describe() == ["a: never built", "b: never built", "c: never built", "d: requested"])
    }

    @Test func anUpToDateProjectPlansNothing() throws {
        let store = MemoryStore()
        _ = builtDiamond(store)
        let result = try plan(PlanRequest(targets: .all, mode: .buildOutdated), testJobSet(Self.diamond), store)
        #expect(result.builds.isEmpty)
        #expect(result.describe() == ["a: up to date", "b: up to date", "c: up to date", "d: up to date"])
    }

    @Test func jcrunJobAlwaysBuildsTheNamedJobOnly() throws {
        let store = MemoryStore()
        _ = builtDiamond(store)
        let result = try plan(PlanRequest(targets: .jobs(["d"])), testJobSet(Self.diamond), store)
        #expect(result.describe() == ["d: requested", "a: up to date", "b: up to date", "c: up to date"])
    }

    /// Table: `b` and protected `p` need `a`, which is due by its `max_age`
    /// (`watch`) or has a reason of its own; `b` has `max_age: 0` or not.
    /// Only jobs with a reason of their own are outdated: one planned only
    /// because `a` is rebuilt first may end up to date (`status`, `--check`).
    @Test(arguments: [
        (bDue: false, outdated: ["a"], conditional: ["b"]),
        (bDue: true, outdated: ["a", "b"], conditional: [String]()),
    ])
    func onlyJobsDueOnTheirOwnAccountAreOutdated(
        bDue: Bool, outdated: [String], conditional: [String]
    ) throws {
        let store = MemoryStore()
        let a = testJob("a", maxAge: 0)
        let b = testJob("b", deps: ["a"], maxAge: bDue ? 0 : nil)
        let p = testJob("p", deps: ["a"], protect: true)
        let first = store.seed(a)
        store.seed(b, inputs: [("a", first)])
        store.seed(p, inputs: [("a", first)])
        let result = try plan(
            PlanRequest(targets: .all, mode: .buildOutdated), testJobSet([a, b, p]), store)
        #expect(result.outdatedJobs == Set(outdated))
        #expect(result.builds.filter { $0.condition != nil }.map(\.job) == conditional)
        #expect(result.leftOut.map(\.condition?.dependencies) == [["a"]])
        #expect(
            result.describe().last
                == "p: protected and outdated; not built unless named (up to date if 'a' ends skipped)")
        #expect(BuildJSON.plan(result).string.contains(
            "{\"job\":\"b\",\"reason\":\"dependency 'a' is rebuilt first\",\"conditional_on\":"
                + (bDue ? "null}" : "[\"a\"]}")))
    }

    @Test func aChangedDefinitionNamesTheFieldsAndOutdatesDependents() throws {
        let store = MemoryStore()
        let old = testJob("inventory", command: .argv([.text("scripts/old.sh")]))
        let inventory = testJob("inventory", command: .shell("scripts/new.sh"), env: [.init(name: "X", value: .text("1"))])
        let report = testJob("report", deps: ["inventory"])
        let first = store.seed(old)
        store.seed(report, inputs: [("inventory", first)])
        let jobs = testJobSet([inventory, report])
        let result = try plan(PlanRequest(targets: .all, mode: .buildOutdated), jobs, store)
        #expect(
            result.describe() == [
                "inventory: definition changed (command, env)",
                "report: dependency 'inventory' is rebuilt first (up to date if 'inventory' ends skipped)",
            ])
        var cutting = inventory
        cutting.earlyCutoff = true
        let withCutoff = try plan(
            PlanRequest(targets: .all, mode: .buildOutdated), testJobSet([cutting, report]), store)
        #expect(withCutoff.describe().last == "report: dependency 'inventory' is rebuilt first (up to date if 'inventory' ends skipped, or keeps its value under early_cutoff)")
        let why = try planner.why("report", jobs: jobs, states: store.states(jobs), now: testNow)
        #expect(
            why == [
                "report: dependency 'inventory' is rebuilt first (up to date if 'inventory' ends skipped)",
                "inventory: definition changed (command, env)",
            ])
    }

    @Test(arguments: [
        (age: 7_200.0, expected: ["a: last check is older than max_age 3600s"]),
        (age: 3_600.0, expected: ["a: last check is older than max_age 3600s"]),
        (age: 60.0, expected: ["a: up to date"]),
    ])
    func maxAgeOutdatesAJobWhoseLastCheckIsOlder(age: TimeInterval, expected: [String]) throws {
        let store = MemoryStore()
        let job = testJob("a", maxAge: 3600)
        store.seed(job, finished: testNow.addingTimeInterval(-age))
        let result = try plan(PlanRequest(targets: .all, mode: .buildOutdated), testJobSet([job]), store)
        #expect(result.describe() == expected)
    }

    @Test func aSkipAfterASuccessIsTheLastCheckForMaxAge() throws {
        let store = MemoryStore()
        let job = testJob("a", maxAge: 3600)
        store.seed(job, finished: testNow.addingTimeInterval(-7_200))
        store.seed(job, status: .skipped, finished: testNow.addingTimeInterval(-60))
        let result = try plan(PlanRequest(targets: .all, mode: .buildOutdated), testJobSet([job]), store)
        #expect(result.describe() == ["a: up to date"])
    }

    @Test func aSkipBeforeAnySuccessLeavesTheJobOutdated() throws {
        let store = MemoryStore()
        let job = testJob("a")
        store.seed(job, status: .skipped)
        let result = try plan(PlanRequest(targets: .all, mode: .buildOutdated), testJobSet([job]), store)
        #expect(result.describe() == ["a: never built"])
    }

    @Test func theLatestFailureOfAnyKindOutdatesAJob() throws {
        let store = MemoryStore()
        let job = testJob("a")
        store.seed(job)
        store.seed(job, status: .failed, kind: .runnerDied)
        let result = try plan(PlanRequest(targets: .all, mode: .buildOutdated), testJobSet([job]), store)
        #expect(result.describe() == ["a: latest build #2 failed (runner_died)"])
    }

    @Test func aDependencysNewerSuccessOutdatesItsDependent() throws {
        let store = MemoryStore()
        let a = testJob("a")
        let b = testJob("b", deps: ["a"])
        let first = store.seed(a)
        store.seed(b, inputs: [("a", first)])
        store.seed(a)
        let result = try plan(PlanRequest(targets: .all, mode: .buildOutdated), testJobSet([a, b]), store)
        #expect(result.describe() == ["b: dependency 'a' has a newer successful build #3", "a: up to date"])
    }

    @Test func aSkippedDependencyDoesNotOutdateItsDependents() throws {
        let store = MemoryStore()
        let a = testJob("a")
        let b = testJob("b", deps: ["a"])
        let first = store.seed(a)
        store.seed(b, inputs: [("a", first)])
        store.seed(a, status: .skipped)
        let result = try plan(PlanRequest(targets: .all, mode: .buildOutdated), testJobSet([a, b]), store)
        #expect(result.describe() == ["a: up to date", "b: up to date"])
    }

    @Test(arguments: [(newValue: "same", outdated: false), (newValue: "other", outdated: true)])
    func earlyCutoffOutdatesDependentsOnlyForADifferentValue(newValue: String, outdated: Bool) throws {
        let store = MemoryStore()
        let a = testJob("a", earlyCutoff: true)
        let b = testJob("b", deps: ["a"])
        let first = store.seed(a, retval: "same")
        store.seed(b, inputs: [("a", first)])
        store.seed(a, retval: newValue)
        let result = try plan(PlanRequest(targets: .all, mode: .buildOutdated), testJobSet([a, b]), store)
        #expect(result.builds.map(\.job) == (outdated ? ["b"] : []))
    }

    @Test func aDependentOfAnEarlyCutoffJobInThePlanIsConditional() throws {
        let store = MemoryStore()
        let a = testJob("a", earlyCutoff: true)
        let b = testJob("b", deps: ["a"])
        let first = store.seed(a, retval: "v")
        store.seed(b, inputs: [("a", first)])
        let result = try plan(PlanRequest(targets: .jobs(["a"]), mode: .build, withRevdeps: false), testJobSet([a, b]), store)
        #expect(result.describe() == ["a: requested"])
        let all = try plan(PlanRequest(targets: .all, mode: .buildOutdated, always: false), testJobSet([a, b]), store)
        #expect(all.builds.isEmpty)
        let withB = try plan(PlanRequest(targets: .jobs(["a", "b"]), mode: .buildOutdated, always: true), testJobSet([a, b]), store)
        #expect(withB.describe() == ["a: forced (--always)", "b: forced (--always)"])
    }

    @Test func aProtectedOutdatedDependencyIsUsedAsIs() throws {
        let store = MemoryStore()
        let p = testJob("p", protect: true)
        let r = testJob("r", deps: ["p"])
        let good = store.seed(p)
        store.seed(r, inputs: [("p", good)])
        store.seed(p, status: .failed, kind: .exit)
        let result = try plan(PlanRequest(targets: .jobs(["r"])), testJobSet([p, r]), store)
        #expect(result.describe() == ["r: requested", "p: protected and outdated; build #1 is used as it is"])
    }

    @Test func aProtectedDependencyWithoutABuildIsMissing() throws {
        let jobs = testJobSet([testJob("p", protect: true), testJob("r", deps: ["p"])])
        let result = try plan(PlanRequest(targets: .jobs(["r"])), jobs, MemoryStore())
        #expect(result.leftOut == [LeftOut(job: "p", why: .protectedWithoutBuild)])
        #expect(result.describe().last == "p: protected and never built successfully; name it to build it")
    }

    @Test func aNamedProtectedJobNeedsConfirmation() throws {
        let jobs = testJobSet([testJob("p", protect: true)])
        #expect(throws: PlanError.protectedNeedsConfirmation(["p"])) {
            try plan(PlanRequest(targets: .jobs(["p"])), jobs, MemoryStore())
        }
        let confirmed = try plan(PlanRequest(targets: .jobs(["p"]), allowProtected: true), jobs, MemoryStore())
        #expect(confirmed.describe() == ["p: requested"])
        let outdated = try plan(PlanRequest(targets: .all, mode: .buildOutdated), jobs, MemoryStore())
        // Never built: not "outdated" (a tester's finding).
        #expect(
            outdated.describe() == ["p: protected and never built successfully; not built unless named"])
        // Built once, then changed: outdated.
        let store = MemoryStore()
        store.seed(testJob("p", command: .argv([.text("/bin/old")]), protect: true))
        let changed = try plan(PlanRequest(targets: .all, mode: .buildOutdated), jobs, store)
        #expect(changed.describe() == ["p: protected and outdated; not built unless named"])
    }

    @Test func noDepsLeavesDependenciesWithoutASuccessfulBuildMissing() throws {
        let jobs = testJobSet([testJob("a"), testJob("b"), testJob("c", deps: ["a", "b"])])
        let store = MemoryStore()
        store.seed(testJob("b"))
        let result = try plan(PlanRequest(targets: .jobs(["c"]), noDeps: true), jobs, store)
        #expect(result.describe() == ["c: requested", "a: no successful build, and --no-deps does not build it"])
    }

    @Test func withRevdepsBuildsEveryDependentButProtectedOnes() throws {
        let jobs = testJobSet([
            testJob("a"), testJob("b", deps: ["a"]), testJob("c", deps: ["b"]),
            testJob("p", deps: ["a"], protect: true), testJob("q", deps: ["p"]),
        ])
        let result = try plan(PlanRequest(targets: .jobs(["a"]), withRevdeps: true), jobs, MemoryStore())
        #expect(
            result.describe() == [
                "a: requested", "b: depends on 'a', which is rebuilt", "c: depends on 'b', which is rebuilt",
                "p: protected and never built successfully; not built unless named",
            ])
    }

    @Test func aPinReplacesTheDependencysLatestBuild() throws {
        let store = MemoryStore()
        let a = testJob("a")
        let b = testJob("b", deps: ["a"])
        let old = store.seed(a, retval: "old")
        store.seed(a, retval: "new")
        let result = try plan(PlanRequest(targets: .jobs(["b"]), pins: ["a": old]), testJobSet([a, b]), store)
        #expect(result.builds == [PlannedBuild(job: "b", reason: .requested, pins: ["a": old])])
    }

    /// A pinned build older than the latest one is chosen, not newer (a
    /// tester's plan said "has a newer successful build #15" of an old one).
    @Test func aJobPlannedForAPinSaysItIsPinned() throws {
        let store = MemoryStore()
        let a = testJob("a")
        let b = testJob("b", deps: ["a"])
        let c = testJob("c", deps: ["b"])
        let old = store.seed(a, retval: "old")
        let new = store.seed(a, retval: "new")
        let ofB = store.seed(b, inputs: [("a", new)])
        store.seed(c, inputs: [("b", ofB)])
        let result = try plan(PlanRequest(targets: .jobs(["c"]), pins: ["a": old]), testJobSet([a, b, c]), store)
        #expect(result.builds.first?.reason == .dependencyPinned("a", build: old))
        #expect(result.builds.first?.reason.description == "dependency 'a' is pinned to build #\(old) (--pin)")
    }

    @Test func badPinsAreRefused() throws {
        let store = MemoryStore()
        let a = testJob("a")
        let b = testJob("b", deps: ["a"])
        let jobs = testJobSet([a, b, testJob("c")])
        let ofA = store.seed(a)
        let failed = store.seed(a, status: .failed, kind: .exit)
        let ofB = store.seed(b)
        let cases: [(pins: [JobID: BuildID], error: PlanError)] = [
            (["a": ofB], .pinOfAnotherJob("a", ofB, owner: "b")),
            (["a": failed], .pinNotSuccessful("a", failed, .failed)),
            (["a": 99], .noSuchPinnedBuild("a", 99)),
            (["c": ofA], .pinOfAnotherJob("c", ofA, owner: "a")),
        ]
        for (pins, error) in cases {
            #expect(throws: error) { try plan(PlanRequest(targets: .jobs(["b"]), pins: pins), jobs, store) }
        }
        let ofC = store.seed(testJob("c"))
        #expect(throws: PlanError.pinNotADependency("c")) {
            try plan(PlanRequest(targets: .jobs(["b"]), pins: ["c": ofC]), jobs, store)
        }
        #expect(
            PlanError.pinOfAnotherJob("a", 3, owner: "b").description
                == "--pin a=3: build #3 is a build of 'b', not of 'a'")
    }

    @Test func independentJobsAreOrderedById() throws {
        let jobs = testJobSet([testJob("zeta"), testJob("alpha"), testJob("mid", deps: ["zeta"])])
        let result = try plan(PlanRequest(targets: .all), jobs, MemoryStore())
        #expect(result.builds.map(\.job) == ["alpha", "zeta", "mid"])
    }

    @Test func anUnknownJobSuggestsTheClosestId() throws {
        let jobs = testJobSet([testJob("report"), testJob("inventory")])
        #expect(throws: PlanError.unknownJob("repot", suggestion: "report")) {
            try plan(PlanRequest(targets: .jobs(["repot"])), jobs, MemoryStore())
        }
        #expect(
            PlanError.unknownJob("repot", suggestion: "report").description
                == "no job 'repot' is defined; did you mean 'report'?")
    }

    @Test func aCycleIsReported() throws {
        let jobs = testJobSet([testJob("a", deps: ["b"]), testJob("b", deps: ["a"])])
        #expect(throws: PlanError.cycle(["a", "b", "a"])) { try plan(PlanRequest(targets: .all), jobs, MemoryStore()) }
    }
}

/// Builds still created or running in the job states: only finished builds
/// decide outdatedness (another jcrun's build is no outcome until it ends).
@Suite struct PlannerRunningBuildTests {
    let planner = Planner()
    let request = PlanRequest(targets: .all, mode: .buildOutdated)

    @Test func aRunningBuildDoesNotHideTheLatestFailure() throws {
        let store = MemoryStore()
        let a = testJob("a")
        let b = testJob("b", deps: ["a"])
        let ok = store.seed(a, retval: "old")
        store.seed(b, inputs: [("a", ok)])
        store.seed(a, status: .failed, kind: .exit)
        store.seed(a, status: .running)
        let jobs = testJobSet([a, b])
        let states = store.states(jobs)
        let plan = try planner.plan(request, jobs: jobs, states: states, now: testNow)
        #expect(
            plan.describe() == [
                "a: latest build #3 failed (exit)",
                "b: dependency 'a' is rebuilt first (up to date if 'a' ends skipped)",
            ])
        #expect(
            try planner.why("b", jobs: jobs, states: states, now: testNow) == [
                "b: dependency 'a' is rebuilt first (up to date if 'a' ends skipped)",
                "a: latest build #3 failed (exit); build #4 is running",
            ])
    }

    /// Table: the builds of one job, oldest first; what the plan says.
    @Test(arguments: [
        ([BuildStatus.running], "a: never built"),
        ([.created], "a: never built"),
        ([.successful, .running], "a: up to date"),
        ([.successful, .created], "a: up to date"),
        ([.successful, .skipped, .running], "a: up to date"),
        ([.failed, .successful, .running], "a: up to date"),
        ([.successful, .failed, .created], "a: latest build #2 failed (exit)"),
    ])
    func onlyFinishedBuildsDecide(statuses: [BuildStatus], expected: String) throws {
        let store = MemoryStore()
        let a = testJob("a")
        for status in statuses { store.seed(a, status: status, kind: status == .failed ? .exit : nil) }
        let jobs = testJobSet([a])
        let plan = try planner.plan(request, jobs: jobs, states: store.states(jobs), now: testNow)
        #expect(plan.describe() == [expected])
    }

    /// A state made without `latestFinished` (as a caller may) takes the
    /// newer of the last check and the latest success while a build runs.
    @Test func aStateWithoutLatestFinishedFallsBackToTheLastCheck() {
        func record(_ id: BuildID, _ status: BuildStatus) -> BuildRecord {
            BuildRecord(id: id, job: "a", status: status, configHash: "h", configSnapshot: "{}", createdAt: testNow)
        }
        let running = JobState(
            latest: record(3, .running), latestSuccessful: record(1, .successful),
            lastCheck: record(2, .skipped), isRunning: true)
        #expect(running.latestFinished?.id == 2)
        let finished = JobState(latest: record(4, .failed), latestSuccessful: record(1, .successful))
        #expect(finished.latestFinished?.id == 4)
        let given = JobState(
            latest: record(5, .running), latestSuccessful: record(1, .successful), isRunning: true,
            latestFinished: record(4, .failed))
        #expect(given.latestFinished?.id == 4)
        #expect(given != running)
    }
}
