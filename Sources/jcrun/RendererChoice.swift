import Foundation
import JobControl

/// Picks what draws a run: JSON lines with `--json`, the live view when
/// stderr is a terminal that can redraw, plain lines otherwise; plus JUnit.
enum RendererChoice {
    static func observer(for context: Context, plan: Plan, store: BuildStore, junit: JUnitReport?)
        -> BuildObserver
    {
        var observers: [BuildObserver] = []
        let stderr = context.console.stderr
        let palette = context.stderrPalette
        if context.json {
            observers.append(
                JSONLinesRenderer(
                    output: context.console.stdout, includeLogs: context.verbosity == .verbose))
            // The human view is reduced to failures, so CI logs are not doubled.
            observers.append(PlainRenderer(output: stderr, palette: palette, verbosity: .quiet))
        } else if context.verbosity != .quiet
            && ColorPolicy.canRedraw(
                isTerminal: stderr.isTerminal, environment: context.environment)
        {
            observers.append(
                TerminalRenderer(
                    output: stderr, palette: palette, verbosity: context.verbosity,
                    medianDurations: medianDurations(plan.builds.map(\.job), store: store)))
        } else {
            observers.append(
                PlainRenderer(output: stderr, palette: palette, verbosity: context.verbosity))
        }
        if let junit { observers.append(junit) }
        return observers.count == 1 ? observers[0] : ObserverGroup(observers)
    }

    /// Each job's median duration over its last nine successful builds.
    static func medianDurations(_ jobs: [JobID], store: BuildStore) -> [JobID: TimeInterval] {
        var result: [JobID: TimeInterval] = [:]
        for job in jobs {
            let builds =
                (try? store.builds(BuildQuery(job: job, status: .successful, limit: 9))) ?? []
            let durations = builds.compactMap(\.duration).sorted()
            if !durations.isEmpty { result[job] = durations[durations.count / 2] }
        }
        return result
    }
}
