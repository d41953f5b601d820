import Foundation

/// A build's stored progress rows as the flat, depth-ordered list of nodes
/// the build page draws as nested bars (and `/api/builds/N/progress` returns).
struct WebProgress {
    struct Node {
        var group: [String]
        var name: String
        var current: Int
        var total: Int?
        var status: String?
    }

    var nodes: [Node] = []
    /// Nodes left out after the first `maxNodes` (depth order), shown as
    /// `... N more nodes` as the terminal view shows `... N more lines`.
    var hidden = 0

    /// Nodes the build page and `/api/builds/N/progress` send at most: a job
    /// reporting 300,000 groups made a 53 MB page, and a 32 MB answer to
    /// each of the page's polls, twice a second.
    static let maxNodes = 500

    /// Rebuilds the tree with `ProgressTree`, so an unreported parent shows
    /// the sum of its children exactly as the terminal does.
    init(_ records: [ProgressRecord]) {
        guard !records.isEmpty else { return }
        var tree = ProgressTree()
        for record in records.sorted(by: { $0.updatedAt < $1.updatedAt }) {
            tree.apply(
                ProgressUpdate(
                    group: record.group, current: record.current, total: record.total,
                    status: record.status))
        }
        walk(tree, path: [])
    }

    private mutating func walk(_ tree: ProgressTree, path: [String]) {
        if nodes.count >= Self.maxNodes {
            if tree.figures(at: path) != nil { hidden += 1 }
        } else if let figures = tree.figures(at: path) {
            nodes.append(
                Node(
                    group: path, name: path.last ?? "Total", current: figures.current,
                    total: figures.total,
                    status: tree.status(at: path)))
        }
        for child in tree.children(at: path) { walk(tree, path: path + [child]) }
    }

    static func percent(_ node: Node) -> Int? {
        ProgressTree.fraction(current: node.current, total: node.total).map {
            Int(($0 * 100).rounded(.down))
        }
    }

    /// Each node as a row: indented name, a bar, figures and the status line.
    var html: String {
        guard !nodes.isEmpty else { return "<p class=\"muted\">No progress reported.</p>" }
        var text = "<div class=\"progress\">"
        for node in nodes {
            let percent = Self.percent(node)
            let figures = "\(node.current)/\(node.total.map(String.init) ?? "?")"
            let depth = min(node.group.count, 6)
            text +=
                "<div class=\"pnode d\(depth)\"><span class=\"pname\">\(HTML.escape(node.name))</span>"
            text +=
                percent.map { "<progress max=\"100\" value=\"\($0)\"></progress>" }
                ?? "<progress></progress>"
            text += "<span class=\"pfig\">\(figures)\(percent.map { " · \($0)%" } ?? "")</span>"
            text += "<span class=\"pstatus\">\(HTML.escape(node.status ?? ""))</span></div>"
        }
        if hidden > 0 { text += "<p class=\"muted\">... \(hidden) more nodes</p>" }
        return text + "</div>"
    }

    /// `{"v":1,"build":N,"status":...,"nodes":[...],"more_nodes":N}`.
    func json(build: BuildRecord) -> String {
        var object = JSONText.versioned()
        object.field("build", build.id)
        object.field("status", build.status.rawValue)
        object.field(
            "nodes",
            objects: nodes.map { node in
                var item = JSONText.versioned()
                item.field("group", strings: node.group)
                item.field("name", node.name)
                item.field("current", node.current)
                item.field("total", node.total)
                item.field("percent", Self.percent(node))
                item.field("status", node.status)
                return item
            })
        object.field("more_nodes", hidden)
        return object.string
    }
}
