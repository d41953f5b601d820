import Foundation
import Testing

@testable import JobControl

/// Every failure kind is shown the same way: the status `failed`, then the
/// kind in words as its detail (PROTOCOL.md: a kind is never a status).
struct BuildOutcomeTextTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var kind: FailureKind
        var exit: Int32? = nil
        var signal: String? = nil
        var error: String? = nil
        var line: String
        var testDescription: String { kind.rawValue }
    }

    static let path = "/usr/local/bin:/usr/bin:/bin"

    static let cases: [Case] = [
        Case(kind: .exit, exit: 3, line: "failed in 2.0s (exit 3)"),
        Case(kind: .signal, signal: "SIGKILL", line: "failed in 2.0s (SIGKILL)"),
        Case(kind: .timeout, error: "timed out after 1s", line: "failed in 2.0s (timed out after 1s)"),
        Case(kind: .interrupted, signal: "SIGINT", line: "failed in 2.0s (interrupted by SIGINT)"),
        Case(
            kind: .startFailed, exit: 127,
            error: "program 'nosuchprog_xyz' not found in PATH (\(path))",
            line: "failed in 2.0s (program 'nosuchprog_xyz' not found in PATH)"),
        Case(
            kind: .startFailed, exit: 126, error: "workdir '/tmp/x' does not exist",
            line: "failed in 2.0s (workdir '/tmp/x' does not exist)"),
        Case(kind: .dependencyFailed, line: "failed in 2.0s (a dependency failed)"),
        Case(
            kind: .runnerDied, error: "runner died; last seen at 2026-05-28T20:26:40.300Z",
            line: "failed in 2.0s (runner died; last seen at 2026-05-28T20:26:40.300Z)"),
        Case(kind: .runnerDied, line: "failed in 2.0s (runner died)"),
        Case(
            kind: .storeFailed, error: "disk I/O error",
            line: "failed in 2.0s (disk I/O error)"),
    ]

    @Test(arguments: cases)
    func aFailureShowsItsStatusAndItsKindAsDetail(_ test: Case) {
        var build = RenderFixtures.finished(
            RenderFixtures.started(11, "slow"), .failed, after: 2, kind: test.kind,
            exit: test.exit, error: test.error)
        build.signal = test.signal
        #expect(BuildOutcomeText.outcome(build) == "failed")
        #expect(BuildOutcomeText.line(build, palette: Palette(enabled: false)) == test.line)
    }

    /// The failure section keeps a start failure's whole text: the PATH is
    /// said there once, not on every line.
    @Test func theFailureSectionKeepsTheSearchedPath() {
        let build = RenderFixtures.finished(
            RenderFixtures.started(2, "np"), .failed, after: 0, kind: .startFailed, exit: 127,
            error: "program 'nosuchprog_xyz' not found in PATH (\(Self.path))")
        #expect(
            SummaryText.failureBlock(build, tail: [], palette: Palette(enabled: false))
                == "\nnp #2 failed (program 'nosuchprog_xyz' not found in PATH (\(Self.path))), no output\nsee all: jcrun log #2\n"
        )
    }

    /// `🚀` and `漢` take two columns, as a terminal draws them.
    @Test(arguments: [
        ("abc", 3), ("🚀", 2), ("漢字", 4), ("❤️", 2), ("1️⃣", 2), ("🇫🇷", 2), ("👍🏽", 2),
        ("é", 1), ("\u{1B}[31mred\u{1B}[0m", 3), ("→", 1),
    ])
    func displayWidthCountsWideCharactersTwice(_ text: String, _ width: Int) {
        #expect(DisplayWidth.of(text) == width)
    }
}
