/// The last lines of each running build's output, kept as they arrive so a
/// failure can show its tail without asking the store: O(1) per line, and
/// no work on a line beyond keeping it (controls are made visible only
/// when the tail is read).
///
/// A class, so that renderers keep it in a dictionary and append through a
/// lookup without copying the buffer in and out on every line.
final class LogTail {
    static let defaultLimit = 20
    /// A ring of `limit` slots; `next` is the oldest once it is full.
    private var ring: Ring

    private struct Ring {
        var lines: [String] = []
        var next = 0

        mutating func append(_ line: String, limit: Int) {
            if lines.count < limit {
                lines.append(line)
            } else {
                lines[next] = line
                next = next + 1 == limit ? 0 : next + 1
            }
        }
    }

    let limit: Int

    init(limit: Int = LogTail.defaultLimit) {
        self.limit = limit
        ring = Ring()
        ring.lines.reserveCapacity(limit)
    }

    func append(_ raw: String) {
        ring.append(raw, limit: limit)  // one access to the ring per line
    }

    /// Oldest first, controls made visible.
    var contents: [String] {
        let ring = self.ring
        return (ring.lines[ring.next...] + ring.lines[..<ring.next]).map(VisibleText.escaped)
    }
}
