import Foundation

/// A run's outcome counted the way users read it: the attempts of a retried
/// build count as one build (its last attempt).
public struct RunTally: Sendable {
    /// The last attempt of each job's build, in the order the jobs started.
    public var builds: [BuildRecord]
    public var successful: Int { builds.count { $0.status == .successful } }
    public var skipped: Int { builds.count { $0.status == .skipped } }
    public var failed: [BuildRecord] { builds.filter { $0.status == .failed } }
    public var upToDate: [JobID]
    public var protectedUsed: [(job: JobID, build: BuildID)]
    public var notRun: [(job: JobID, why: String)]

    public init(_ summary: RunSummary) {
        var order: [JobID] = []
        var last: [JobID: BuildRecord] = [:]
        for build in summary.builds {
            if last[build.job] == nil { order.append(build.job) }
            last[build.job] = build
        }
        builds = order.map { last[$0]! }
        upToDate = summary.leftOut.compactMap {
            if case .builtMeanwhile = $0.why { return $0.job }
            return $0.why == .upToDate ? $0.job : nil
        }
        protectedUsed = summary.leftOut.compactMap {
            if case .protectedUsedAsIs(let build) = $0.why { return ($0.job, build) }
            return nil
        }
        notRun = summary.notRun
        for item in summary.leftOut {
            switch item.why {
            case .protectedWithoutBuild:
                notRun.append((item.job, "protected and never built successfully"))
            case .missingDependency: notRun.append((item.job, "--no-deps and no successful build"))
            default: break
            }
        }
    }
}

/// How a finished build is described in one line: `successful in 2.1s`,
/// `failed in 0.3s (exit 1)`, `skipped in 0.1s: no new data`.
///
/// The first word is always the build's status (PROTOCOL.md: a kind is never
/// a status); a failure's kind is the detail in parentheses, for every kind
/// alike: `failed in 2.0s (runner died; last seen at ...)`.
public enum BuildOutcomeText {
    /// The status word: `successful`, `skipped`, `failed`, ...
    public static func outcome(_ build: BuildRecord) -> String { build.status.rawValue }

    /// What a failure's kind says in words (never empty for a failed build),
    /// or a skip's reason. `full` keeps a start failure's whole text; without
    /// it, the searched PATH is left out (`program 'x' not found in PATH`),
    /// as one-line views show it and the failure section shows it whole.
    public static func detail(_ build: BuildRecord, full: Bool = true) -> String {
        switch build.status {
        case .failed:
            switch build.failureKind {
            case .exit?: return "exit \(build.exitCode ?? 1)"
            case .signal?: return build.signal ?? "signal"
            case .startFailed?:
                let error = build.error ?? "could not start"
                return full ? error : withoutSearchedPath(error)
            case .timeout?: return build.error ?? "timed out"
            case .storeFailed?: return build.error ?? "the store could not record it"
            case .cancelled?: return build.error ?? "cancelled"
            case .interrupted?: return "interrupted" + (build.signal.map { " by \($0)" } ?? "")
            case .dependencyFailed?: return "a dependency failed"
            case .runnerDied?:
                return build.error.map(VisibleText.escaped) ?? "runner died"
            case nil: return VisibleText.escaped(build.error ?? "")
            }
        case .skipped: return VisibleText.escaped(build.error ?? "")
        default: return ""
        }
    }

    /// `program 'x' not found in PATH (/usr/local/bin:...)` without its
    /// parenthesised PATH, which runs to hundreds of characters.
    static func withoutSearchedPath(_ error: String) -> String {
        let marker = "' not found in PATH ("
        guard error.hasPrefix("program '"), error.hasSuffix(")"),
            let range = error.range(of: marker, options: .backwards)
        else { return error }
        return String(error[..<range.lowerBound]) + "' not found in PATH"
    }

    /// `failed in 0.3s (exit 1)`.
    public static func line(_ build: BuildRecord, palette: Palette) -> String {
        var text = palette.status(outcome(build))
        if let duration = build.duration { text += " in " + DurationFormat.short(duration) }
        let detail = detail(build, full: false)
        if !detail.isEmpty { text += build.status == .skipped ? ": \(detail)" : " (\(detail))" }
        if build.attempt > 1 { text += " [attempt \(build.attempt)]" }
        return text
    }
}
