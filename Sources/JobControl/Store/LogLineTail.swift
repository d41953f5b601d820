import Foundation

/// The last lines of a build's log as a user counts them: a line stored in
/// 64 KiB pieces (`LogEntry.continued`) is one line, its pieces joined, so
/// that `show-build`'s tail of 20 lines is 20 lines whatever their length.
public struct LogLineTail: Sendable {
    /// The lines, oldest first (by their first piece), each its pieces in order.
    public var lines: [[LogEntry]]
    /// True when the first line may have lost its beginning: it began at
    /// the oldest of the `maximumPieces` entries read, so it may have begun
    /// before them.
    public var firstIsCut: Bool

    /// At most this many entries are read (16 MiB of text at 64 KiB each).
    public static let maximumPieces = 256

    /// Reads the last `count` lines of `build`: the last entries, more of
    /// them while the oldest line read may have begun before them.
    public static func read(
        _ build: BuildID, count: Int, from store: BuildStore
    ) throws -> LogLineTail {
        var limit = count + 1
        while true {
            let entries = try store.logs(LogQuery(build: build, limit: limit, tail: true))
            let grouped = group(entries)
            let whole = entries.count < limit
            // With more lines than asked for, the oldest (maybe cut) is dropped.
            if whole || grouped.count > count || limit >= maximumPieces {
                let kept = Array(grouped.suffix(count))
                let cut =
                    !whole && grouped.count <= count
                    && kept.first?.first?.seq == entries.first?.seq
                return LogLineTail(lines: kept, firstIsCut: cut)
            }
            limit = min(limit * 4, maximumPieces)
        }
    }

    /// One line's text, its pieces' bytes joined before they are decoded (a
    /// piece may end inside a character); not UTF-8 shows as U+FFFD.
    public static func text(_ pieces: [LogEntry]) -> String {
        if pieces.count == 1 { return pieces[0].text }
        return String(decoding: bytes(pieces), as: UTF8.self)
    }

    /// One line's exact bytes, its pieces joined.
    public static func bytes(_ pieces: [LogEntry]) -> [UInt8] {
        var bytes: [UInt8] = []
        for piece in pieces { bytes += piece.raw ?? Array(piece.text.utf8) }
        return bytes
    }

    /// Entries grouped into lines: a piece marked `continued` goes on in the
    /// next entry of the same stream (another stream's lines may come
    /// between); a last piece still marked `continued` ends its line so far.
    public static func group(_ entries: [LogEntry]) -> [[LogEntry]] {
        var lines: [[LogEntry]] = []
        var open: [LogStream: Int] = [:]
        for entry in entries {
            let index: Int
            if let going = open[entry.stream] {
                lines[going].append(entry)
                index = going
            } else {
                lines.append([entry])
                index = lines.count - 1
            }
            open[entry.stream] = entry.continued ? index : nil
        }
        return lines
    }
}
