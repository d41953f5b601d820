/// A build's progress nodes by group path, as `@progress` lines report them,
/// and the drawing of them (docs/PROTOCOL.md, "Example tree").
///
/// A node that was never reported itself shows the sum of its children; a
/// reported node keeps its own figures. Children keep the order in which
/// they were first reported. Pure: the TTY renderer and the web page use it.
public struct ProgressTree: Sendable, Hashable {
    /// One node's own state.
    struct Node: Sendable, Hashable {
        var name: String
        /// Set once the node itself was reported.
        var current: Int?
        var total: Int?
        var reported = false
        var status: String?
        var children: [Int] = []
    }

    /// The root is `nodes[0]`.
    private var nodes: [Node]
    private var index: [[String]: Int] = [[]: 0]

    /// `rootTitle` names the top line (`[150/400] Total`).
    public init(rootTitle: String = "Total") {
        nodes = [Node(name: rootTitle)]
    }

    /// True when nothing was reported yet.
    public var isEmpty: Bool { nodes.count == 1 && !nodes[0].reported }

    /// Records one report: its figures and status line replace the node's
    /// (no status clears it); missing parents are created. A path deeper
    /// than the protocol allows (stored by an older jcrun) is ignored, so
    /// the tree and its drawing stay small.
    public mutating func apply(_ update: ProgressUpdate) {
        guard update.group.count <= ProtocolParser.maximumGroupDepth else { return }
        let id = node(for: update.group)
        nodes[id].current = update.current
        nodes[id].total = update.total
        nodes[id].reported = true
        nodes[id].status = update.status
    }

    /// What `path` shows: its own figures, or the sum of its children's; a
    /// nil total when any summed total is unknown (`?`). nil for no such node.
    public func figures(at path: [String]) -> (current: Int, total: Int?)? {
        index[path].map { figures(of: $0) }
    }

    /// The node's status line, if it has one.
    public func status(at path: [String]) -> String? {
        index[path].flatMap { nodes[$0].status }
    }

    /// The children of `path`, in the order first reported.
    public func children(at path: [String]) -> [String] {
        guard let id = index[path] else { return [] }
        return nodes[id].children.map { nodes[$0].name }
    }

    /// `a + b`, held at `Int.max` instead of wrapping: children near the
    /// largest figure the protocol takes must not sum to a negative parent.
    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    /// How far along `current` of `total` is, from 0 to 1: CURRENT above
    /// TOTAL shows as 1 (100%), a TOTAL of 0 as done, an unknown one as nil.
    public static func fraction(current: Int, total: Int?) -> Double? {
        guard let total else { return nil }
        if total <= 0 { return 1 }
        return min(1, Double(current) / Double(total))
    }

    /// The tree as text lines, the root first:
    ///
    ///     [150/400] Total
    ///     |-- [100/200] http://example.com/foo.zip
    ///     |   '-- [0/100] extracting
    ///
    /// A status line follows its node's name after ` -- `.
    public func render() -> [String] {
        var lines: [String] = [label(of: 0)]
        draw(children: nodes[0].children, prefix: "", into: &lines)
        return lines
    }

    private func draw(children: [Int], prefix: String, into lines: inout [String]) {
        for (position, child) in children.enumerated() {
            let last = position == children.count - 1
            lines.append(prefix + (last ? "'-- " : "|-- ") + label(of: child))
            draw(
                children: nodes[child].children, prefix: prefix + (last ? "    " : "|   "),
                into: &lines)
        }
    }

    private func label(of id: Int) -> String {
        let (current, total) = figures(of: id)
        let node = nodes[id]
        let status = node.status.map { " -- \($0)" } ?? ""
        return "[\(current)/\(total.map(String.init) ?? "?")] \(node.name)\(status)"
    }

    private func figures(of id: Int) -> (current: Int, total: Int?) {
        let node = nodes[id]
        if node.reported { return (node.current ?? 0, node.total) }
        var current = 0
        var total: Int? = 0
        for child in node.children {
            let (c, t) = figures(of: child)
            current = ProgressTree.saturatingSum(current, c)
            total = total.flatMap { sum in t.map { ProgressTree.saturatingSum(sum, $0) } }
        }
        return (current, total)
    }

    /// The node at `path`, created with its missing parents.
    private mutating func node(for path: [String]) -> Int {
        if let id = index[path] { return id }
        let parent = node(for: Array(path.dropLast()))
        let id = nodes.count
        nodes.append(Node(name: path[path.count - 1]))
        nodes[parent].children.append(id)
        index[path] = id
        return id
    }
}
