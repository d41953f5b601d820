/// The last lines of each running build's output, kept as they arrive so a
/// failure can show its tail without asking the store: O(1) per line.
///
/// A class, so that renderers keep it in a dictionary and append through a
/// lookup without copying the buffer in and out on every line.
final class LogTail {
    static let defaultLimit = 20
    private var lines: [String] = []
    private var next = 0
    let limit: Int

    init(limit: Int = LogTail.defaultLimit) {
        self.limit = limit
        lines.reserveCapacity(limit)
    }

    func append(_ raw: String) {
        let line = VisibleText.escaped(raw)
        if lines.count < limit {
            lines.append(line)
        } else {
            lines[next] = line
            next = (next + 1) % limit
        }
    }

    /// Oldest first.
    var contents: [String] { Array(lines[next...] + lines[..<next]) }
}
