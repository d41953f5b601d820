import Foundation

@testable import JobControl

/// Synthetic builds and events for the renderer tests.
enum RenderFixtures {
    static let t0 = Date(timeIntervalSince1970: 1_780_000_000)

    static func job(_ id: JobID) -> Job { Job(id: id, command: .shell("true")) }

    static func started(_ id: BuildID, _ job: JobID, attempt: Int = 1) -> BuildRecord {
        BuildRecord(
            id: id, job: job, status: .running, attempt: attempt, reason: "never built",
            createdAt: t0, startedAt: t0)
    }

    static func finished(
        _ build: BuildRecord, _ status: BuildStatus, after seconds: TimeInterval,
        kind: FailureKind? = nil,
        exit: Int32? = nil, error: String? = nil, retval: String? = nil
    ) -> BuildRecord {
        var build = build
        build.status = status
        build.failureKind = kind
        build.exitCode = exit
        build.error = error
        build.retval = retval
        build.finishedAt = t0.addingTimeInterval(seconds)
        return build
    }

    static func plan(_ jobs: [JobID], upToDate: [JobID] = []) -> Plan {
        Plan(
            builds: jobs.map { PlannedBuild(job: $0, reason: .neverBuilt) },
            leftOut: upToDate.map { LeftOut(job: $0, why: .upToDate) })
    }

    /// crawl succeeds, process fails with two lines of output, report is not run.
    static func drive(_ observer: BuildObserver) {
        let plan = plan(["crawl", "process", "report"], upToDate: ["setup"])
        observer.planned(plan)
        let crawl = started(1, "crawl")
        observer.buildStarted(crawl, job: job("crawl"))
        observer.buildEvent(crawl, .progress(ProgressUpdate(group: [], current: 5, total: 10)))
        observer.buildEvent(
            crawl, .output(stream: .stdout, text: "fetched 5 pages", raw: nil, continued: false))
        observer.buildEvent(crawl, .retval("out/crawl.csv"))
        let crawlDone = finished(crawl, .successful, after: 2.1, retval: "out/crawl.csv")
        observer.buildFinished(crawlDone)
        let process = started(2, "process")
        observer.buildStarted(process, job: job("process"))
        observer.buildEvent(
            process,
            .output(stream: .stdout, text: "reading out/crawl.csv", raw: nil, continued: false))
        observer.buildEvent(
            process, .output(stream: .stderr, text: "error: bad row 3", raw: nil, continued: false))
        let processDone = finished(process, .failed, after: 0.3, kind: .exit, exit: 1)
        observer.buildFinished(processDone)
        observer.runFinished(
            RunSummary(
                builds: [crawlDone, processDone],
                notRun: [("report", "dependency 'process' failed")],
                leftOut: plan.leftOut, startedAt: t0, finishedAt: t0.addingTimeInterval(2.5)))
    }

    /// One successful build, nothing else.
    static func driveSuccess(_ observer: BuildObserver) {
        observer.planned(plan(["crawl"]))
        let crawl = started(1, "crawl")
        observer.buildStarted(crawl, job: job("crawl"))
        observer.buildEvent(
            crawl, .output(stream: .stdout, text: "fetched", raw: nil, continued: false))
        let done = finished(crawl, .successful, after: 1)
        observer.buildFinished(done)
        observer.runFinished(
            RunSummary(builds: [done], startedAt: t0, finishedAt: t0.addingTimeInterval(1)))
    }
}
