import Glibc

/// Cuts one stream's bytes into lines (docs/PROTOCOL.md, "Lines") with
/// bounded memory: `\n` ends a line, one trailing `\r` is removed, the last
/// line counts without a newline, and a line longer than its limit comes out
/// in parts.
///
/// A line that may be a directive (it starts with `@` on a stream that
/// carries directives) is held whole up to `directiveLimit` (1 MiB); any
/// other line up to `pieceLimit` (64 KiB). So at most about 1 MiB plus one
/// read is held per stream, whatever the job prints.
struct LineSplitter {
    /// What comes out: a whole line, or parts of a longer one.
    enum Part {
        /// A complete line within its limit.
        case line
        /// The beginning of an overlong line; more follows.
        case head
        /// More of an overlong line; `ends` when the line ends here.
        case tail(ends: Bool)
    }

    static let pieceLimit = 64 * 1024
    static let directiveLimit = 1024 * 1024

    let readsDirectives: Bool
    let masker: SecretMasker
    private var pending: [UInt8] = []
    /// Inside an overlong line whose head went out.
    private var inLongLine = false

    init(readsDirectives: Bool, masker: SecretMasker) {
        self.readsDirectives = readsDirectives
        self.masker = masker
    }

    /// The start of a line held from earlier bytes (empty when the next
    /// byte starts a line); nil inside an overlong line.
    var heldLine: [UInt8]? { inLongLine ? nil : pending }

    /// Forgets the held start of a line: the caller completed it.
    mutating func dropHeldLine() {
        pending.removeAll(keepingCapacity: pending.capacity <= Self.pieceLimit * 2)
    }

    /// Splits `chunk`, passing each line or part to `emit` in order.
    mutating func feed(
        _ chunk: UnsafeBufferPointer<UInt8>, _ emit: (UnsafeBufferPointer<UInt8>, Part) -> Void
    ) {
        var from = 0
        while from < chunk.count {
            let rest = UnsafeBufferPointer(rebasing: chunk[from...])
            let newline = memchr(rest.baseAddress!, Int32(Byte.newline), rest.count)
            guard let newline else {
                take(rest, ends: false, emit)
                return
            }
            let length = rest.baseAddress!.distance(to: newline.assumingMemoryBound(to: UInt8.self))
            let line = UnsafeBufferPointer(rebasing: rest[..<length])
            // The common case, here rather than in `take` so that `emit` is
            // called without a call (and retains) in between: a whole line
            // inside one read.
            if pending.isEmpty, !inLongLine, length <= limit(startingWith: line.first) {
                emit(Self.withoutCR(line), .line)
            } else {
                take(line, ends: true, emit)
            }
            from += length + 1
        }
    }

    /// Ends the stream: a last line without a newline still counts.
    mutating func finish(_ emit: (UnsafeBufferPointer<UInt8>, Part) -> Void) {
        if !pending.isEmpty || inLongLine {
            take(UnsafeBufferPointer(start: nil, count: 0), ends: true, emit)
        }
    }

    private func limit(startingWith first: UInt8?) -> Int {
        readsDirectives && !inLongLine && first == Byte.at ? Self.directiveLimit : Self.pieceLimit
    }

    private mutating func take(
        _ segment: UnsafeBufferPointer<UInt8>, ends: Bool,
        _ emit: (UnsafeBufferPointer<UInt8>, Part) -> Void
    ) {
        // The common case: a whole line inside one read.
        if ends, pending.isEmpty, !inLongLine, segment.count <= limit(startingWith: segment.first) {
            emit(Self.withoutCR(segment), .line)
            return
        }
        pending.append(contentsOf: segment)

        // Too long to hold: send the head (or more of the tail) on.
        while pending.count > limit(startingWith: pending.first) {
            let proposed = inLongLine ? Self.pieceLimit : limit(startingWith: pending.first)
            let cut = pending.withUnsafeBufferPointer { masker.safeCut($0, at: proposed) }
            pending.withUnsafeBufferPointer {
                emit(
                    UnsafeBufferPointer(rebasing: $0[..<cut]),
                    inLongLine ? .tail(ends: false) : .head)
            }
            inLongLine = true
            pending.removeSubrange(0..<cut)
        }
        guard ends else { return }
        pending.withUnsafeBufferPointer { all in
            emit(Self.withoutCR(all), inLongLine ? .tail(ends: true) : .line)
        }
        pending.removeAll(keepingCapacity: pending.capacity <= Self.pieceLimit * 2)
        inLongLine = false
    }

    /// `proposed`, moved back (at most 3 bytes) so that it does not cut a
    /// UTF-8 sequence in two.
    static func utf8Boundary(_ bytes: UnsafeBufferPointer<UInt8>, at proposed: Int) -> Int {
        var cut = proposed
        while cut > proposed - 3, cut > 1, cut < bytes.count, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        return cut
    }

    static func withoutCR(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let last = line.last, last == Byte.cr else { return line }
        return UnsafeBufferPointer(rebasing: line[..<(line.count - 1)])
    }
}
