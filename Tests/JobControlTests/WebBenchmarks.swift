import Foundation
import Testing

@testable import JobControl

/// Measurements, not assertions: the jobs page and `/api/jobs` with 1,000
/// jobs and 1,000,000 stored builds. Run with
/// `JCRUN_BENCH=1 swift test --filter WebBenchmarks`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["JCRUN_BENCH"] != nil))
struct WebBenchmarks {
    @Test func theJobsPageWithAThousandJobsAndAMillionBuilds() throws {
        let folder = StoreFolder()
        let store = try folder.openStore()
        let jobs = testJobSet(
            (0..<1000).map { index in
                testJob("job\(index)", deps: index == 0 ? [] : ["job\(index / 2)"])
            })

        // One real build gives the row format; SQL copies it a million times.
        let first = try store.finishedBuild("job0", .successful, retval: "v")
        let fill = """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
            INSERT INTO builds (job, status, exit_code, retval, reason, triggered_by, config_hash,
                                config_snapshot, created_at, started_at, finished_at)
            SELECT 'job' || (i % 1000), CASE WHEN i % 7 = 0 THEN 'failed' ELSE 'successful' END,
                   CASE WHEN i % 7 = 0 THEN 1 ELSE 0 END, 'v', 'bench', 'cli', 'h', '{}',
                   b.created_at + i, b.created_at + i, b.created_at + i
            FROM n, (SELECT created_at FROM builds WHERE id = \(first.id)) AS b;
            """
        let filling = ContinuousClock.now
        try store.connection.execute("BEGIN; " + fill + " COMMIT;")
        print("web bench: filled 1,000,000 builds in \(ContinuousClock.now - filling)")

        let reader = try folder.openStore(.readOnly)
        let app = WebApp(
            security: WebSecurity(accessToken: nil, loopbackOnly: true, readOnly: false),
            source: WebSource(loadJobs: { jobs }, openStore: { reader }), launcher: nil)
        let ids = jobs.jobs.map(\.id)
        var start = ContinuousClock.now
        let states = try reader.jobStates(ids)
        print("web bench: jobStates of 1,000 jobs \(ContinuousClock.now - start)")
        start = ContinuousClock.now
        let request = PlanRequest(targets: .all, mode: .buildOutdated, allowProtected: true)
        _ = try Planner().plan(request, jobs: jobs, states: states, now: Date())
        print("web bench: plan of 1,000 jobs \(ContinuousClock.now - start)")
        for path in ["/", "/api/jobs", "/jobs/job500", "/graph"] {
            var times: [Swift.Duration] = []
            var size = 0
            for _ in 0..<5 {
                let start = ContinuousClock.now
                let response = app.respond(
                    WebRequest(method: "GET", path: path, headers: ["host": "127.0.0.1"]))
                times.append(ContinuousClock.now - start)
                size = response.body.count
                #expect(response.status == 200)
            }
            times.sort()
            print("web bench: GET \(path) median \(times[2]) min \(times[0]) (\(size / 1024) KiB)")
        }
    }
}
