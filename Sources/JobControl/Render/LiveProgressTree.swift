/// A running build's progress tree as the live view draws it: nodes by
/// group path, in the order first reported. An update costs O(depth).
///
/// A node that was never reported itself shows the sum of its children
/// (PROTOCOL.md); a reported node keeps its own figures.
struct LiveProgressTree {
    struct Node {
        var name: String
        var current = 0
        var total: Int?
        var status: String?
        var reported = false
        var children: [Int] = []
    }

    private(set) var nodes: [Node] = [Node(name: "Total")]
    private var indexByPath: [[String]: Int] = [[]: 0]
    /// The node the last update went to: most updates repeat it, and
    /// comparing the path is cheaper than hashing it.
    private var lastPath: [String] = []
    private var lastIndex = 0

    var isEmpty: Bool { nodes.count == 1 && !nodes[0].reported }

    mutating func apply(_ update: ProgressUpdate) {
        let index: Int
        if update.group == lastPath {
            index = lastIndex
        } else {
            index = node(for: update.group)
            lastPath = update.group
            lastIndex = index
        }
        nodes[index].current = update.current
        nodes[index].total = update.total
        nodes[index].status = update.status
        nodes[index].reported = true
    }

    /// The node's figures: its own, or its children's sums (total nil when
    /// any child's total is unknown).
    func figures(_ index: Int) -> (current: Int, total: Int?) {
        let node = nodes[index]
        if node.reported || node.children.isEmpty { return (node.current, node.total) }
        var current = 0
        var total: Int? = 0
        for child in node.children {
            let figures = figures(child)
            current += figures.current
            total = total.flatMap { sum in figures.total.map { sum + $0 } }
        }
        return (current, total)
    }

    /// Lines of the tree, root first, drawn like PROTOCOL.md's example with
    /// a bar: `|-- [####------]  40% 100/250 name -- status`.
    func lines(barWidth: Int, palette: Palette) -> [String] {
        var result: [String] = []
        append(0, prefix: "", childPrefix: "", into: &result, barWidth: barWidth, palette: palette)
        return result
    }

    private func append(
        _ index: Int, prefix: String, childPrefix: String, into result: inout [String], barWidth: Int,
        palette: Palette
    ) {
        let node = nodes[index]
        let (current, total) = figures(index)
        var line = prefix + bar(current: current, total: total, width: barWidth, palette: palette)
        line += " \(current)/\(total.map(String.init) ?? "?") \(node.name)"
        if let status = node.status { line += " -- " + status }
        result.append(line)
        for (position, child) in node.children.enumerated() {
            let last = position == node.children.count - 1
            append(
                child, prefix: childPrefix + (last ? "'-- " : "|-- "),
                childPrefix: childPrefix + (last ? "    " : "|   "), into: &result, barWidth: barWidth,
                palette: palette)
        }
    }

    /// `[#####-----]  50%`, or `[  ?  ]` style when the total is unknown.
    private func bar(current: Int, total: Int?, width: Int, palette: Palette) -> String {
        guard let percent = ProgressText.percent(current: current, total: total) else {
            return "[" + String(repeating: " ", count: width) + "]    "
        }
        let filled = width * percent / 100
        let done = String(repeating: "#", count: filled)
        let rest = String(repeating: "-", count: width - filled)
        let figure = String(repeating: " ", count: 3 - String(percent).count) + "\(percent)%"
        return "[" + palette.green(done) + palette.dim(rest) + "] " + figure
    }

    private mutating func node(for path: [String]) -> Int {
        if let index = indexByPath[path] { return index }
        let parent = node(for: Array(path.dropLast()))
        nodes.append(Node(name: path.last ?? "Total"))
        let index = nodes.count - 1
        nodes[parent].children.append(index)
        indexByPath[path] = index
        return index
    }
}
