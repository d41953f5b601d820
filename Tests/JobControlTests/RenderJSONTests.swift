import Foundation
import Testing

@testable import JobControl

struct RenderJSONTests {
    private func events(includeLogs: Bool = false) throws -> [[String: Any]] {
        let output = RecordingOutput()
        RenderFixtures.drive(
            JSONLinesRenderer(
                output: output, includeLogs: includeLogs, clock: { RenderFixtures.t0 }))
        return try output.text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test func everyEventIsOneVersionedObjectPerLine() throws {
        let lines = try events()
        #expect(
            lines.map { $0["event"] as? String } == [
                "plan", "build_started", "progress", "retval", "build_finished", "build_started",
                "build_finished", "run_finished",
            ])
        for line in lines { #expect(line["v"] as? Int == 1) }
    }

    /// `event` comes first after `v` on every line, `build_started` and
    /// `build_finished` included, so a reader can dispatch on the line's start.
    @Test func everyLineStartsWithItsEvent() throws {
        let output = RecordingOutput()
        RenderFixtures.drive(
            JSONLinesRenderer(output: output, includeLogs: true, clock: { RenderFixtures.t0 }))
        let lines = output.text.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            #expect(line.hasPrefix("{\"v\":1,\"event\":\""), "\(line)")
        }
    }

    @Test func aFinishedBuildHasEveryField() throws {
        let finished = try events().filter { $0["event"] as? String == "build_finished" }
        let failed = try #require(finished.last)
        #expect(failed["id"] as? Int == 2)
        #expect(failed["job"] as? String == "process")
        #expect(failed["status"] as? String == "failed")
        #expect(failed["failure_kind"] as? String == "exit")
        #expect(failed["exit_code"] as? Int == 1)
        #expect(failed["signal"] is NSNull)
        #expect(failed["error"] is NSNull)
        #expect(failed["attempt"] as? Int == 1)
        #expect(failed["reason"] as? String == "never built")
        #expect(failed["retval"] is NSNull)
        #expect(failed["created_at"] as? String == "2026-05-28T20:26:40Z")
        #expect(failed["started_at"] as? String == "2026-05-28T20:26:40Z")
        #expect(failed["finished_at"] as? String == "2026-05-28T20:26:40.300Z")
        #expect((failed["duration_s"] as? Double).map { abs($0 - 0.3) < 0.001 } == true)
        #expect(finished.first?["retval"] as? String == "out/crawl.csv")
    }

    @Test func progressAndRunFinishedCarryTheirFields() throws {
        let lines = try events()
        let progress = try #require(lines.first { $0["event"] as? String == "progress" })
        #expect(progress["build_id"] as? Int == 1)
        #expect(progress["group"] as? [String] == [])
        #expect(progress["current"] as? Int == 5)
        #expect(progress["total"] as? Int == 10)
        let run = try #require(lines.last)
        let notRun = try #require(run["not_run"] as? [[String: Any]])
        #expect(notRun.first?["job"] as? String == "report")
        #expect(notRun.first?["reason"] as? String == "dependency 'process' failed")
        #expect(run["up_to_date"] as? [String] == ["setup"])
        #expect(run["failed"] as? Int == 1)
    }

    @Test func logEventsOnlyWithVerbose() throws {
        #expect(try events().allSatisfy { $0["event"] as? String != "log" })
        let logs = try events(includeLogs: true).filter { $0["event"] as? String == "log" }
        #expect(
            logs.map { $0["text"] as? String } == [
                "fetched 5 pages", "reading out/crawl.csv", "error: bad row 3",
            ])
        #expect(logs.map { $0["stream"] as? String } == ["stdout", "stdout", "stderr"])
    }

    @Test(arguments: [
        ("plain", "\"plain\""), ("quote\"back\\slash", "\"quote\\\"back\\\\slash\""),
        ("line\nbreak\ttab", "\"line\\nbreak\\ttab\""), ("\u{1}", "\"\\u0001\""),
        ("café ✓", "\"café ✓\""),
    ])
    func stringsAreEscaped(_ value: String, _ expected: String) {
        var text = ""
        JSONText.appendString(value, to: &text)
        #expect(text == expected)
    }
}
