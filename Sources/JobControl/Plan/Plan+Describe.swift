import Foundation

extension Plan {
    /// One line per build, `job: reason`, then one per job left out
    /// (`job: up to date`), for `--dry-run` and `why`.
    public func describe() -> [String] {
        builds.map { $0.describe() } + leftOut.map { $0.describe() }
    }

    /// Why `job` is in this plan, following dependencies rebuilt first down
    /// to the one that started it; one line when it is left out or absent.
    /// A job with a build in `unfinished` (created or running, which never
    /// decides outdatedness) gets `; build #N is running` on its line.
    public func why(_ job: JobID, unfinished: [JobID: BuildRecord] = [:]) -> [String] {
        func note(_ job: JobID) -> String {
            guard let build = unfinished[job] else { return "" }
            return "; build #\(build.id) is \(build.status == .created ? "queued" : "running")"
        }
        var byJob: [JobID: PlannedBuild] = [:]
        for build in builds { byJob[build.job] = build }
        var lines: [String] = []
        var current = job
        var seen: Set<JobID> = []
        while let build = byJob[current], seen.insert(current).inserted {
            lines.append(build.describe() + note(build.job))
            switch build.reason {
            case .dependencyInPlan(let dep), .reverseDependency(let dep): current = dep
            default: return lines
            }
        }
        if !lines.isEmpty { return lines }
        if let out = leftOut.first(where: { $0.job == job }) { return [out.describe() + note(job)] }
        return ["\(job): up to date" + note(job)]
    }
}

extension PlannedBuild {
    /// `report: dependency 'inventory' is rebuilt first`, with a note when
    /// the scheduler may still find it up to date.
    func describe() -> String {
        guard let condition else { return "\(job): \(reason)" }
        return "\(job): \(reason) (\(condition.describe()))"
    }
}

extension LeftOut {
    /// `publish: protected and outdated; not built unless named`, with the
    /// same note as a conditional build's when only dependencies outdate it.
    func describe() -> String {
        guard let condition else { return "\(job): \(why)" }
        return "\(job): \(why) (\(condition.describe()))"
    }
}

extension RebuildCondition {
    /// `up to date if 'a' ends skipped`: when the job turns out up to date.
    func describe() -> String {
        let names = dependencies.map { "'\($0)'" }.joined(separator: ", ")
        let one = dependencies.count == 1
        // Skipped, or (early_cutoff) the value last consumed again: either
        // way the scheduler finds the job up to date then.
        var unless = "up to date if \(names) \(one ? "ends" : "end") skipped"
        if anyEarlyCutoff {
            unless += ", or \(one ? "keeps its" : "keep their") value under early_cutoff"
        }
        return unless
    }
}

extension LeftOut.Why: CustomStringConvertible {
    public var description: String {
        switch self {
        case .upToDate: return "up to date"
        case .builtMeanwhile(let build): return "up to date: another jcrun built it meanwhile (#\(build))"
        case .protectedUsedAsIs(let build): return "protected and outdated; build #\(build) is used as it is"
        case .protectedWithoutBuild: return "protected and never built successfully; name it to build it"
        case .missingDependency: return "no successful build, and --no-deps does not build it"
        case .protectedLeftOut: return "protected and outdated; not built unless named"
        case .protectedNeverBuilt: return "protected and never built successfully; not built unless named"
        }
    }
}
