import Foundation
import Testing

@testable import JobControl

struct RenderTerminalTests {
    private func renderer(
        _ output: RecordingOutput, columns: Int = 100, medians: [JobID: TimeInterval] = [:]
    ) -> TerminalRenderer {
        TerminalRenderer(
            output: output, palette: Palette(enabled: false), medianDurations: medians,
            size: { TerminalSize(columns: columns, rows: 40) },
            clock: { RenderFixtures.t0.addingTimeInterval(12) }, frameInterval: nil)
    }

    @Test func aRunningBuildShowsItsProgressTreeAndETA() {
        let output = RecordingOutput()
        let view = renderer(output, medians: ["crawl": 30])
        let build = RenderFixtures.started(7, "crawl")
        view.planned(RenderFixtures.plan(["crawl"]))
        view.buildStarted(build, job: RenderFixtures.job("crawl"))
        for (group, current) in [
            (["http://example.com/foo.zip", "downloading"], 100),
            (["http://example.com/foo.zip", "extracting"], 0),
            (["http://example.com/bar.zip", "downloading"], 50),
            (["http://example.com/bar.zip", "extracting"], 0),
        ] {
            view.buildEvent(
                build, .progress(ProgressUpdate(group: group, current: current, total: 100)))
        }
        view.drawFrame()
        #expect(output.writes.count == 1)
        #expect(
            output.text
                == [
                    "[1/1] crawl #7 running 12.0s, about 18.0s left",
                    "    [#######-------------]  37% 150/400 Total",
                    "    |-- [##########----------]  50% 100/200 http://example.com/foo.zip",
                    "    |   |-- [####################] 100% 100/100 downloading",
                    "    |   '-- [--------------------]   0% 0/100 extracting",
                    "    '-- [#####---------------]  25% 50/200 http://example.com/bar.zip",
                    "        |-- [##########----------]  50% 50/100 downloading",
                    "        '-- [--------------------]   0% 0/100 extracting",
                ].map { "\u{1B}[2K" + $0 + "\n" }.joined())
    }

    @Test func theNextFrameRedrawsInPlaceAndFinishedBuildsCollapse() {
        let output = RecordingOutput()
        let view = renderer(output)
        let build = RenderFixtures.started(7, "crawl")
        view.planned(RenderFixtures.plan(["crawl"]))
        view.buildStarted(build, job: RenderFixtures.job("crawl"))
        view.buildEvent(
            build, .progress(ProgressUpdate(group: [], current: 1, total: 2, status: "half")))
        view.drawFrame()
        view.buildFinished(RenderFixtures.finished(build, .successful, after: 2.1))
        view.drawFrame()
        #expect(output.writes.count == 2)
        #expect(
            output.writes[1] == "\r\u{1B}[2A\u{1B}[2K[1/1] crawl #7 successful in 2.1s\n\u{1B}[J")
    }

    @Test func linesAreCutToTheTerminalWidth() {
        let output = RecordingOutput()
        let view = renderer(output, columns: 30)
        let build = RenderFixtures.started(7, "a_job_with_a_rather_long_name")
        view.buildStarted(build, job: RenderFixtures.job(build.job))
        view.drawFrame()
        for line in output.text.split(separator: "\n") {
            #expect(line.replacingOccurrences(of: "\u{1B}[2K", with: "").count <= 29)
        }
    }

    @Test func fittingSkipsEscapeCodes() {
        let red = Palette(enabled: true).red("abcdef")
        #expect(TerminalRenderer.fit(red, width: 3) == "\u{1B}[31mabc\u{1B}[0m")
        #expect(TerminalRenderer.fit(red, width: 10) == red)
    }
}
