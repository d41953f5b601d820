import Foundation
import Testing

@testable import JobControl

/// How long the renderers take per event; run with JCRUN_BENCH=1. Prints
/// figures, asserts nothing (timings are not test material).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["JCRUN_BENCH"] == "1"))
struct RenderBenchmarks {
    static func measure(_ name: String, _ observer: BuildObserver) {
        let build = RenderFixtures.started(1, "many")
        observer.buildStarted(build, job: RenderFixtures.job("many"))
        let updates = (1...100_000).map {
            ProgressUpdate(
                group: ["group", "sub"], current: $0, total: 100_000, status: "item \($0)")
        }
        let start = Date()
        for update in updates { observer.buildEvent(build, .progress(update)) }
        let seconds = Date().timeIntervalSince(start)
        print("\(name): 100,000 progress events in \(String(format: "%.3f", seconds)) s")
    }

    @Test func progressEventsPerRenderer() {
        Self.measure("quiet", PlainRenderer(output: RecordingOutput(), verbosity: .quiet))
        Self.measure("plain", PlainRenderer(output: RecordingOutput()))
        Self.measure(
            "terminal",
            TerminalRenderer(
                output: RecordingOutput(), palette: Palette(enabled: true),
                size: { TerminalSize(columns: 100, rows: 40) }))
        Self.measure("json", JSONLinesRenderer(output: RecordingOutput(), includeLogs: false))
    }
}
