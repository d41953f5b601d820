import Foundation

extension Plan {
    /// One line per build, `job: reason`, then one per job left out
    /// (`job: up to date`), for `--dry-run` and `why`.
    public func describe() -> [String] {
        builds.map { $0.describe() } + leftOut.map { "\($0.job): \($0.why)" }
    }

    /// Why `job` is in this plan, following dependencies rebuilt first down
    /// to the one that started it; one line when it is left out or absent.
    public func why(_ job: JobID) -> [String] {
        var byJob: [JobID: PlannedBuild] = [:]
        for build in builds { byJob[build.job] = build }
        var lines: [String] = []
        var current = job
        var seen: Set<JobID> = []
        while let build = byJob[current], seen.insert(current).inserted {
            lines.append("\(build.job): \(build.reason)")
            switch build.reason {
            case .dependencyInPlan(let dep), .reverseDependency(let dep): current = dep
            default: return lines
            }
        }
        if !lines.isEmpty { return lines }
        if let out = leftOut.first(where: { $0.job == job }) { return ["\(job): \(out.why)"] }
        return ["\(job): up to date"]
    }
}

extension PlannedBuild {
    /// `report: dependency 'inventory' is rebuilt first`, with a note when
    /// the scheduler may still find it up to date.
    func describe() -> String {
        guard let condition else { return "\(job): \(reason)" }
        let names = condition.dependencies.map { "'\($0)'" }.joined(separator: ", ")
        let one = condition.dependencies.count == 1
        // Skipped, or (early_cutoff) the value last consumed again: either
        // way the scheduler finds the job up to date then.
        var unless = "up to date if \(names) \(one ? "ends" : "end") skipped"
        if condition.anyEarlyCutoff {
            unless += ", or \(one ? "keeps its" : "keep their") value under early_cutoff"
        }
        return "\(job): \(reason) (\(unless))"
    }
}

extension LeftOut.Why: CustomStringConvertible {
    public var description: String {
        switch self {
        case .upToDate: return "up to date"
        case .protectedUsedAsIs(let build): return "protected and outdated; build #\(build) is used as it is"
        case .protectedWithoutBuild: return "protected and never built successfully; name it to build it"
        case .missingDependency: return "no successful build, and --no-deps does not build it"
        case .protectedLeftOut: return "protected and outdated; not built unless named"
        }
    }
}
