import JobControl

/// Left-aligned columns for query output; the last column is not padded.
/// Widths are display widths: colour codes take none, CJK characters two.
struct Columns {
    private var rows: [[String]] = []
    private var widths: [[Int]] = []

    /// - Parameter visible: the cells' widths, when measuring them is not enough.
    mutating func add(_ cells: [String], visible: [Int]? = nil) {
        rows.append(cells)
        widths.append(visible ?? cells.map(DisplayWidth.of))
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
