/// Draws a build's `ProgressTree` for the live view: PROTOCOL.md's tree
/// with a bar and a percentage on each node:
/// `|-- [####------]  40% 100/250 name -- status`.
enum ProgressBars {
    /// At most `maxLines` lines, root first, so a tree of thousands of
    /// groups costs no more to draw than the screen can show.
    static func lines(
        _ tree: ProgressTree, barWidth: Int, palette: Palette, maxLines: Int = 200
    ) -> [String] {
        var result: [String] = []
        append(
            tree, path: [], name: "Total", prefix: "", childPrefix: "", into: &result,
            barWidth: barWidth, palette: palette, maxLines: maxLines)
        return result
    }

    private static func append(
        _ tree: ProgressTree, path: [String], name: String, prefix: String, childPrefix: String,
        into result: inout [String], barWidth: Int, palette: Palette, maxLines: Int
    ) {
        guard result.count < maxLines, let (current, total) = tree.figures(at: path) else { return }
        var line = prefix + bar(current: current, total: total, width: barWidth, palette: palette)
        // Group names and status lines are the job's text: shown, never obeyed.
        line += " \(current)/\(total.map(String.init) ?? "?") \(VisibleText.escaped(name))"
        if let status = tree.status(at: path) { line += " -- " + VisibleText.escaped(status) }
        result.append(line)
        let children = tree.children(at: path)
        for (position, child) in children.enumerated() {
            let last = position == children.count - 1
            append(
                tree, path: path + [child], name: child,
                prefix: childPrefix + (last ? "'-- " : "|-- "),
                childPrefix: childPrefix + (last ? "    " : "|   "), into: &result,
                barWidth: barWidth, palette: palette, maxLines: maxLines)
        }
    }

    /// `[#####-----]  50%`, or an empty bar when the total is unknown.
    private static func bar(current: Int, total: Int?, width: Int, palette: Palette) -> String {
        guard let percent = ProgressText.percent(current: current, total: total) else {
            return "[" + String(repeating: " ", count: width) + "]    "
        }
        let filled = width * percent / 100
        let done = String(repeating: "#", count: filled)
        let rest = String(repeating: "-", count: width - filled)
        let figure = String(repeating: " ", count: 3 - String(percent).count) + "\(percent)%"
        return "[" + palette.green(done) + palette.dim(rest) + "] " + figure
    }
}
