import Foundation

/// The end-of-run summary every human renderer prints on stderr: counts,
/// one line per build, each failed build's log tail, and how to see more.
public enum SummaryText {
    /// - Parameter tails: the last lines of each failed build's log, by build id.
    public static func render(
        _ summary: RunSummary, tails: [BuildID: [String]], palette: Palette, quiet: Bool = false
    ) -> String {
        let tally = RunTally(summary)
        var text = ""
        if !quiet {
            text += countsLine(tally, summary: summary, palette: palette) + "\n"
            let meanwhile: [LeftOut] = summary.leftOut.filter {
                if case .builtMeanwhile = $0.why { return true }
                return false
            }
            let ids: [String] = tally.builds.map(\.job) + tally.notRun.map(\.job) + meanwhile.map(\.job)
            let width = ids.map(DisplayWidth.of).max() ?? 0
            // Ids of different lengths (#9, #10) keep the outcomes in one column.
            let idWidth = tally.builds.map { String($0.id).count + 1 }.max() ?? 0
            for build in tally.builds {
                text +=
                    "  \(pad(build.job, width))  \(pad("#\(build.id)", idWidth))  "
                    + BuildOutcomeText.line(build, palette: palette) + "\n"
            }
            for item in tally.notRun {
                text += "  \(pad(item.job, width))  " + palette.dim("not run: \(item.why)") + "\n"
            }
            for item in meanwhile {
                text += "  \(pad(item.job, width))  " + palette.dim("\(item.why)") + "\n"
            }
            for item in summary.leftOut {
                switch item.why {
                case .protectedUsedAsIs, .protectedLeftOut, .protectedNeverBuilt:
                    text += "jcrun: " + palette.yellow("warning:") + " '\(item.job)': \(item.why)\n"
                default: break
                }
            }
        }
        for build in tally.failed {
            text += failureBlock(build, tail: tails[build.id] ?? [], palette: palette)
        }
        return text
    }

    /// `3 built, 1 skipped, 2 up to date, 1 failed, 1 not run in 12.3s`.
    static func countsLine(_ tally: RunTally, summary: RunSummary, palette: Palette) -> String {
        var parts: [String] = ["\(tally.successful) built"]
        if tally.skipped > 0 { parts.append("\(tally.skipped) skipped") }
        if !tally.upToDate.isEmpty { parts.append("\(tally.upToDate.count) up to date") }
        if !tally.failed.isEmpty { parts.append(palette.red("\(tally.failed.count) failed")) }
        if !tally.notRun.isEmpty { parts.append("\(tally.notRun.count) not run") }
        var line = parts.joined(separator: ", ")
        line +=
            " in " + DurationFormat.short(summary.finishedAt.timeIntervalSince(summary.startedAt))
        if let signal = summary.interruptedBy { line += " (interrupted by \(signalName(signal)))" }
        if summary.lockNotObtained { line += " (a job's lock was not obtained)" }
        return line
    }

    /// A failed build's header, its last log lines, and the command to see all.
    public static func failureBlock(_ build: BuildRecord, tail: [String], palette: Palette)
        -> String
    {
        var text =
            "\n" + palette.red("\(build.job) #\(build.id) \(BuildOutcomeText.outcome(build))")
        let detail = BuildOutcomeText.detail(build)
        text += detail.isEmpty ? "" : " (\(detail))"
        if tail.isEmpty {
            text += ", no output\n"
        } else {
            text += ", last \(tail.count) line\(tail.count == 1 ? "" : "s") of its log:\n"
            for line in tail { text += "  " + line + "\n" }
        }
        text += palette.dim("see all: jcrun log #\(build.id)") + "\n"
        return text
    }

    public static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        default: return "signal \(signal)"
        }
    }

    static func pad(_ text: String, _ width: Int) -> String {
        DisplayWidth.pad(text, to: width)
    }
}
