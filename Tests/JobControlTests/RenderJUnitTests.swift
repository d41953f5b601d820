import Foundation
import FoundationXML
import Testing

@testable import JobControl

struct RenderJUnitTests {
    @Test func junitHasOneCasePerJobWithFailuresAndSkips() throws {
        let path = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
            "jcrun-junit-\(UUID()).xml")
        defer { try? FileManager.default.removeItem(at: path) }
        let report = JUnitReport(path: path)
        RenderFixtures.drive(report)
        #expect(report.writeError == nil)

        let document = try XMLDocument(contentsOf: path)
        let suite = try #require(document.rootElement()?.elements(forName: "testsuite").first)
        #expect(suite.attribute(forName: "tests")?.stringValue == "3")
        #expect(suite.attribute(forName: "failures")?.stringValue == "1")
        #expect(suite.attribute(forName: "skipped")?.stringValue == "1")
        let cases = suite.elements(forName: "testcase")
        #expect(
            cases.map { $0.attribute(forName: "name")?.stringValue } == [
                "crawl", "process", "report",
            ])
        #expect(cases[0].elements(forName: "failure").isEmpty)
        let failure = try #require(cases[1].elements(forName: "failure").first)
        #expect(failure.attribute(forName: "message")?.stringValue == "failed (exit 1)")
        #expect(
            failure.stringValue == "reading out/crawl.csv\nerror: bad row 3\nsee all: jcrun log #2")
        let skipped = try #require(cases[2].elements(forName: "skipped").first)
        #expect(
            skipped.attribute(forName: "message")?.stringValue
                == "not run: dependency 'process' failed")
    }

    @Test func retriedAttemptsAreOneCaseFromTheLastAttempt() throws {
        let first = RenderFixtures.finished(
            RenderFixtures.started(1, "flaky"), .failed, after: 1, kind: .exit, exit: 1)
        let second = RenderFixtures.finished(
            RenderFixtures.started(2, "flaky", attempt: 2), .successful, after: 1)
        let summary = RunSummary(
            builds: [first, second], startedAt: RenderFixtures.t0, finishedAt: RenderFixtures.t0)
        let document = try XMLDocument(xmlString: JUnitReport.xml(summary, tails: [:]))
        let cases = try #require(
            document.rootElement()?.elements(forName: "testsuite").first?.elements(
                forName: "testcase"))
        #expect(cases.count == 1)
        #expect(cases[0].elements(forName: "failure").isEmpty)
    }

    @Test func markupInNamesAndLogsIsEscaped() throws {
        #expect(
            JUnitReport.escape("<a href=\"x\">&'\u{7}")
                == "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{FFFD}")
    }
}
