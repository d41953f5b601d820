import Foundation
import JobControl

/// Each job's status label (DESIGN.md, "State"): the first that applies of
/// running, not built, failed, outdated, skipped, successful.
struct JobStatusReader {
    var states: [JobID: JobState] = [:]
    var outdated: Set<JobID> = []

    /// Reads the states from `store` (nil: no store, every job not built)
    /// and asks the planner which jobs `build-outdated` would build.
    init(jobs: JobSet, store: BuildStore?, now: Date) throws {
        guard let store else { return }
        states = try store.jobStates(jobs.jobs.map(\.id))
        let request = PlanRequest(targets: .all, mode: .buildOutdated, allowProtected: true)
        let plan = try Planner().plan(request, jobs: jobs, states: states, now: now)
        outdated = Set(plan.builds.map(\.job))
        for item in plan.leftOut where item.why != .upToDate { outdated.insert(item.job) }
    }

    func label(_ job: JobID) -> JobStatusLabel {
        guard let state = states[job], let latest = state.latest else { return .notBuilt }
        if state.isRunning { return .running }
        if latest.status == .failed { return .failed }
        if outdated.contains(job) { return .outdated }
        if latest.status == .skipped { return .skipped }
        return .successful
    }
}

/// Left-aligned columns for query output; the last column is not padded.
struct Columns {
    private var rows: [[String]] = []
    /// Visible widths, when cells carry colour codes.
    private var widths: [[Int]] = []

    mutating func add(_ cells: [String], visible: [Int]? = nil) {
        rows.append(cells)
        widths.append(visible ?? cells.map(\.count))
    }

    var text: String {
        let count = rows.map(\.count).max() ?? 0
        var column = [Int](repeating: 0, count: count)
        for row in widths {
            for (index, width) in row.enumerated() { column[index] = max(column[index], width) }
        }
        var text = ""
        for (row, rowWidths) in zip(rows, widths) {
            var line = ""
            for (index, cell) in row.enumerated() {
                line += cell
                if index < row.count - 1 {
                    line += String(repeating: " ", count: column[index] - rowWidths[index] + 2)
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}
