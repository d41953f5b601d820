import Foundation
import Testing

@testable import JobControl

struct RenderPlainTests {
    @Test func plainLinesAndSummaryReadAsExpected() {
        let output = RecordingOutput()
        RenderFixtures.drive(PlainRenderer(output: output, clock: { RenderFixtures.t0 }))
        #expect(
            output.text == """
                [1/3] crawl started
                [1/3] crawl successful in 2.1s
                [2/3] process started
                [2/3] process failed in 0.3s (exit 1)
                1 built, 1 up to date, 1 failed, 1 not run in 2.5s
                  crawl    #1  successful in 2.1s
                  process  #2  failed in 0.3s (exit 1)
                  report   not run: dependency 'process' failed

                process #2 failed (exit 1), last 2 lines of its log:
                  reading out/crawl.csv
                  error: bad row 3
                see all: jcrun log #2

                """)
    }

    @Test func plainOutputHasNoEscapeCodes() {
        let output = RecordingOutput()
        RenderFixtures.drive(PlainRenderer(output: output))
        #expect(!output.text.contains("\u{1B}"))
    }

    @Test func verboseStreamsEachLinePrefixedWithItsJob() {
        let output = RecordingOutput()
        RenderFixtures.drive(PlainRenderer(output: output, verbosity: .verbose))
        #expect(output.text.contains("\ncrawl | fetched 5 pages\n"))
        #expect(output.text.contains("\nprocess | error: bad row 3\n"))
    }

    @Test func quietPrintsNothingWhenAllSucceeded() {
        let output = RecordingOutput()
        RenderFixtures.driveSuccess(PlainRenderer(output: output, verbosity: .quiet))
        #expect(output.text == "")
    }

    @Test func quietPrintsOnlyTheFailedBuildsWithTheirTails() {
        let output = RecordingOutput()
        RenderFixtures.drive(PlainRenderer(output: output, verbosity: .quiet))
        #expect(
            output.text == """

                process #2 failed (exit 1), last 2 lines of its log:
                  reading out/crawl.csv
                  error: bad row 3
                see all: jcrun log #2

                """)
    }

    @Test func progressIsPrintedAtMostEveryIntervalPerBuild() {
        let output = RecordingOutput()
        nonisolated(unsafe) var now = RenderFixtures.t0
        let renderer = PlainRenderer(output: output, progressInterval: 5, clock: { now })
        let build = RenderFixtures.started(1, "crawl")
        renderer.planned(RenderFixtures.plan(["crawl"]))
        renderer.buildStarted(build, job: RenderFixtures.job("crawl"))
        for step in 1...20 {
            now = RenderFixtures.t0.addingTimeInterval(Double(step))
            renderer.buildEvent(
                build,
                .progress(
                    ProgressUpdate(group: ["pages"], current: step, total: 20, status: "p\(step)")))
        }
        #expect(
            output.text == """
                [1/1] crawl started
                [1/1] crawl 5/20 pages -- p5
                [1/1] crawl 10/20 pages -- p10
                [1/1] crawl 15/20 pages -- p15
                [1/1] crawl 20/20 pages -- p20

                """)
    }

    @Test func protectedJobsLeftOutAreListedExceptWhenQuiet() {
        let summary = RunSummary(
            leftOut: [
                LeftOut(job: "deploy", why: .protectedUsedAsIs(7)),
                LeftOut(job: "db", why: .protectedLeftOut),
            ],
            startedAt: RenderFixtures.t0, finishedAt: RenderFixtures.t0)
        let normal = SummaryText.render(summary, tails: [:], palette: Palette(enabled: false))
        #expect(
            normal == """
                0 built in 0.0s
                jcrun: warning: 'deploy': protected and outdated; build #7 is used as it is
                jcrun: warning: 'db': protected and outdated; not built unless named

                """)
        #expect(
            SummaryText.render(summary, tails: [:], palette: Palette(enabled: false), quiet: true)
                == "")
    }

    @Test func aLogTailKeepsTheLastTwentyLines() {
        let tail = LogTail()
        for line in 1...45 { tail.append("line \(line)") }
        #expect(tail.contents == (26...45).map { "line \($0)" })
    }
}
