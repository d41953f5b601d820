import Foundation

/// The dependency graph drawn as SVG by jcrun itself: jobs in columns by
/// depth (a job sits one column right of its deepest dependency), edges from
/// each dependency to its dependents, each box linking to its job.
///
/// Within a column, jobs are ordered by the mean row of their dependencies
/// (one barycenter pass), which keeps most edges short without a layout engine.
struct GraphSVG {
    static let boxWidth = 190
    static let boxHeight = 34
    static let columnGap = 70
    static let rowGap = 14
    static let margin = 16

    let jobs: JobSet
    let labels: [JobID: JobStatusLabel]

    /// Each job's column.
    static func depths(_ jobs: JobSet, order: [JobID]) -> [JobID: Int] {
        var depth: [JobID: Int] = [:]
        for id in order {
            let deps = jobs[id]?.dependencies ?? []
            depth[id] = deps.isEmpty ? 0 : 1 + (deps.compactMap { depth[$0] }.max() ?? -1)
        }
        return depth
    }

    /// Columns of job ids, each ordered by the mean row of its jobs' dependencies.
    static func layers(_ jobs: JobSet) -> [[JobID]] {
        let order = JobGraph(jobs).order
        let depth = depths(jobs, order: order)
        var layers = [[JobID]](repeating: [], count: (depth.values.max() ?? -1) + 1)
        for id in order { layers[depth[id] ?? 0].append(id) }
        var row: [JobID: Double] = [:]
        for index in layers.indices {
            if index > 0 {
                layers[index] = layers[index].enumerated().sorted { a, b in
                    let x = meanRow(a.element, jobs, row) ?? Double(a.offset)
                    let y = meanRow(b.element, jobs, row) ?? Double(b.offset)
                    return x != y ? x < y : a.offset < b.offset
                }.map(\.element)
            }
            for (position, id) in layers[index].enumerated() { row[id] = Double(position) }
        }
        return layers
    }

    private static func meanRow(_ id: JobID, _ jobs: JobSet, _ row: [JobID: Double]) -> Double? {
        let rows = (jobs[id]?.dependencies ?? []).compactMap { row[$0] }
        return rows.isEmpty ? nil : rows.reduce(0, +) / Double(rows.count)
    }

    var svg: String {
        let layers = Self.layers(jobs)
        var place: [JobID: (x: Int, y: Int)] = [:]
        for (column, layer) in layers.enumerated() {
            for (row, id) in layer.enumerated() {
                place[id] = (
                    Self.margin + column * (Self.boxWidth + Self.columnGap),
                    Self.margin + row * (Self.boxHeight + Self.rowGap)
                )
            }
        }
        let width =
            Self.margin * 2 + max(1, layers.count) * (Self.boxWidth + Self.columnGap)
            - Self.columnGap
        let height =
            Self.margin * 2 + max(1, layers.map(\.count).max() ?? 1)
            * (Self.boxHeight + Self.rowGap) - Self.rowGap
        var text =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" width=\"\(width)\" height=\"\(height)\""
        text += " viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"dependency graph\">"
        text +=
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\""
        text +=
            " markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\"/></marker></defs>"
        text += edges(place)
        for job in jobs.jobs { if let at = place[job.id] { text += box(job, at: at) } }
        return text + "</svg>"
    }

    /// A curve from the right side of each dependency to the left side of its dependent.
    private func edges(_ place: [JobID: (x: Int, y: Int)]) -> String {
        var text = "<g class=\"edges\">"
        for job in jobs.jobs {
            guard let to = place[job.id] else { continue }
            for dependency in job.dependencies {
                guard let from = place[dependency] else { continue }
                let x1 = from.x + Self.boxWidth
                let y1 = from.y + Self.boxHeight / 2
                let y2 = to.y + Self.boxHeight / 2
                let middle = (x1 + to.x) / 2
                text +=
                    "<path d=\"M\(x1),\(y1) C\(middle),\(y1) \(middle),\(y2) \(to.x),\(y2)\" marker-end=\"url(#arrow)\"/>"
            }
        }
        return text + "</g>"
    }

    private func box(_ job: Job, at: (x: Int, y: Int)) -> String {
        let label = labels[job.id] ?? .notBuilt
        let name = job.id.count > 24 ? String(job.id.prefix(23)) + "…" : job.id
        var text =
            "<a href=\"/jobs/\(HTML.segment(job.id))\"><g class=\"node s-\(label.rawValue.replacingOccurrences(of: " ", with: "-"))\">"
        text += "<title>\(HTML.escape(job.id + " — " + label.rawValue))</title>"
        text +=
            "<rect x=\"\(at.x)\" y=\"\(at.y)\" width=\"\(Self.boxWidth)\" height=\"\(Self.boxHeight)\" rx=\"6\"/>"
        text += "<text x=\"\(at.x + 10)\" y=\"\(at.y + 21)\">\(HTML.escape(name))</text></g></a>"
        return text
    }
}
