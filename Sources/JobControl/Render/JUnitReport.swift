import Foundation

/// `--junit FILE`: a JUnit XML report written when the run finishes. One
/// test case per job built (a retried build is one case: its last attempt),
/// failures with their log tail, skipped builds and jobs not run as skipped.
///
/// The XML is written as text with its five entities escaped rather than
/// through FoundationXML, so that jcrun does not load libxml2 at every start.
public final class JUnitReport: BuildObserver, @unchecked Sendable {
    private let path: URL
    private let lock = NSLock()
    private var tails: [BuildID: LogTail] = [:]
    private var finishedTails: [BuildID: [String]] = [:]
    /// Why writing the file failed, for the CLI to report.
    public private(set) var writeError: Error?

    public init(path: URL) { self.path = path }

    public func planned(_ plan: Plan) {}

    public func buildStarted(_ build: BuildRecord, job: Job) {
        lock.withLock { tails[build.id] = LogTail() }
    }

    public func buildEvent(_ build: BuildRecord, _ event: RunEvent) {
        switch event {
        case .output(_, let text, _, _): lock.withLock { tails[build.id]?.append(text) }
        case .log(let level, let message):
            lock.withLock { tails[build.id]?.append("[\(level.rawValue)] \(message)") }
        default: break
        }
    }

    /// A failure shows the tail only.
    public var outputLineLimit: Int? { LogTail.defaultLimit }

    public func buildFinished(_ build: BuildRecord) {
        lock.withLock {
            finishedTails[build.id] = tails.removeValue(forKey: build.id)?.contents ?? []
        }
    }

    public func runFinished(_ summary: RunSummary) {
        let xml = lock.withLock { JUnitReport.xml(summary, tails: finishedTails) }
        do {
            try xml.write(to: path, atomically: true, encoding: .utf8)
        } catch {
            lock.withLock { writeError = error }
        }
    }

    public static func xml(_ summary: RunSummary, tails: [BuildID: [String]]) -> String {
        let tally = RunTally(summary)
        let tests = tally.builds.count + tally.notRun.count
        let failures = tally.failed.count
        let skipped = tally.skipped + tally.notRun.count
        let time = String(format: "%.3f", summary.finishedAt.timeIntervalSince(summary.startedAt))
        let counts =
            "tests=\"\(tests)\" failures=\"\(failures)\" errors=\"0\" skipped=\"\(skipped)\" time=\"\(time)\""
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites name=\"jcrun\" \(counts)>\n"
        xml +=
            "  <testsuite name=\"jcrun\" \(counts) timestamp=\"\(JSONText.timestamp(summary.startedAt))\">\n"
        for build in tally.builds {
            let seconds = String(format: "%.3f", build.duration ?? 0)
            xml +=
                "    <testcase classname=\"jcrun\" name=\"\(escape(build.job))\" time=\"\(seconds)\">\n"
            switch build.status {
            case .failed:
                let message =
                    "\(BuildOutcomeText.outcome(build)) (\(BuildOutcomeText.detail(build)))"
                let body = (tails[build.id] ?? []).joined(separator: "\n")
                xml +=
                    "      <failure message=\"\(escape(message))\" type=\"\(build.failureKind?.rawValue ?? "failed")\">"
                xml += escape(body + "\nsee all: jcrun log #\(build.id)") + "</failure>\n"
            case .skipped:
                xml += "      <skipped message=\"\(escape(build.error ?? "skipped"))\"/>\n"
            default:
                break
            }
            xml +=
                "      <system-out>\(escape("build #\(build.id), attempt \(build.attempt): \(build.reason)"))</system-out>\n"
            xml += "    </testcase>\n"
        }
        for item in tally.notRun {
            xml +=
                "    <testcase classname=\"jcrun\" name=\"\(escape(item.job))\" time=\"0.000\">\n"
            xml += "      <skipped message=\"\(escape("not run: \(item.why)"))\"/>\n"
            xml += "    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return xml
    }

    /// Escapes XML's special characters and drops characters XML 1.0 forbids.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\n", "\t", "\r": result.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                result += "\u{FFFD}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
