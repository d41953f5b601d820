import Foundation

#if canImport(Glibc)
    import Glibc
#endif

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
        case .log(let level, let message), .notice(let level, let message):
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
            try Self.write(xml, to: path.path)
        } catch {
            lock.withLock { writeError = error }
        }
    }

    /// Whether the report replaces the file at `path` or writes through it.
    public static func writesThrough(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFREG
    }

    /// Writes `text` to `path`. A regular file, or none yet, is replaced
    /// whole (a reader sees the old report or the new one). Anything else is
    /// written through as a shell's `>` would, so that a symbolic link, a
    /// pipe or `/dev/stdout` gets the report and stays what it is.
    static func write(_ text: String, to path: String) throws {
        guard writesThrough(path) else {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.write(fd, $0.baseAddress! + written, $0.count - written)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            written += count
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
