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
public enum BuildOutcomeText {
    public static func outcome(_ build: BuildRecord) -> String {
        build.status == .failed && build.failureKind == .runnerDied
            ? "runner died" : build.status.rawValue
    }

    public static func detail(_ build: BuildRecord) -> String {
        switch build.status {
        case .failed:
            switch build.failureKind {
            case .exit?: return "exit \(build.exitCode ?? 1)"
            case .signal?: return build.signal ?? "signal"
            case .timeout?, .startFailed?, .storeFailed?, .cancelled?:
                return build.error ?? build.failureKind!.rawValue
            case .interrupted?: return "interrupted" + (build.signal.map { " by \($0)" } ?? "")
            case .dependencyFailed?: return "a dependency failed"
            case .runnerDied?, nil: return VisibleText.escaped(build.error ?? "")
            }
        case .skipped: return VisibleText.escaped(build.error ?? "")
        default: return ""
        }
    }

    /// `failed in 0.3s (exit 1)`.
    public static func line(_ build: BuildRecord, palette: Palette) -> String {
        var text = palette.status(outcome(build))
        if let duration = build.duration { text += " in " + DurationFormat.short(duration) }
        let detail = detail(build)
        if !detail.isEmpty { text += build.status == .skipped ? ": \(detail)" : " (\(detail))" }
        if build.attempt > 1 { text += " [attempt \(build.attempt)]" }
        return text
    }
}
