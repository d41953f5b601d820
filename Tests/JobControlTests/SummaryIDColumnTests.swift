import Foundation
import Testing

@testable import JobControl

/// The summary's build ids in one column: `--wait` listed `failer  #10
/// failed ...` above `a       #1  successful ...`, the outcomes out of line.
struct SummaryIDColumnTests {
    @Test func idsOfDifferentLengthsKeepTheOutcomesInOneColumn() {
        let t0 = RenderFixtures.t0
        let failer = RenderFixtures.finished(
            RenderFixtures.started(10, "failer"), .failed, after: 0.2, kind: .exit, exit: 1)
        let a = RenderFixtures.finished(RenderFixtures.started(1, "a"), .successful, after: 0.1)
        let summary = RunSummary(builds: [failer, a], startedAt: t0, finishedAt: t0.addingTimeInterval(1))
        let text = SummaryText.render(summary, tails: [:], palette: Palette(enabled: false))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[1] == "  failer  #10  failed in 0.2s (exit 1)")
        #expect(lines[2] == "  a       #1   successful in 0.1s")
    }
}
