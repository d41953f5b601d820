import Foundation

/// Replaces secret values with `***` in everything the runner reports.
///
/// Each line of a multi-line secret is masked on its own (a job may print
/// a key line by line); blank lines of a secret are not masked. Longer
/// values are masked first, so a secret containing another is masked whole.
public struct SecretMasker: Sendable {
    /// Non-blank secret lines as bytes, longest first.
    let values: [[UInt8]]
    /// Length of the longest value.
    let longest: Int
    static let mask: [UInt8] = Array("***".utf8)

    public init(_ secrets: [String]) {
        var lines: Set<[UInt8]> = []
        for secret in secrets {
            for line in secret.split(separator: "\n", omittingEmptySubsequences: true) {
                var bytes = Array(line.utf8)
                if bytes.last == Byte.cr { bytes.removeLast() }
                if bytes.contains(where: { !Byte.isSpace($0) }) { lines.insert(bytes) }
            }
        }
        values = lines.sorted {
            $0.count != $1.count ? $0.count > $1.count : $0.lexicographicallyPrecedes($1)
        }
        longest = values.first?.count ?? 0
    }

    public var isEmpty: Bool { values.isEmpty }

    /// `text` with every secret replaced by `***`.
    public func mask(_ text: String) -> String {
        if values.isEmpty { return text }
        var copy = text
        let masked = copy.withUTF8 { mask($0) }
        return masked.map { String(decoding: $0, as: UTF8.self) } ?? text
    }

    /// The masked bytes, or nil when `bytes` holds no secret.
    public func mask(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard !values.isEmpty else { return nil }
        var result: [UInt8]?
        for value in values {
            let found: [UInt8]? =
                if let current = result {
                    current.withUnsafeBufferPointer { replace(value, in: $0) }
                } else {
                    replace(value, in: bytes)
                }
            if let found { result = found }
        }
        return result
    }

    /// `bytes` with each `value` replaced, or nil when there is none.
    private func replace(_ value: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard var at = ProtocolParser.firstIndex(of: value, in: bytes) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var from = 0
        while true {
            out.append(contentsOf: bytes[from..<at])
            out.append(contentsOf: Self.mask)
            from = at + value.count
            let rest = UnsafeBufferPointer(rebasing: bytes[from...])
            guard let next = ProtocolParser.firstIndex(of: value, in: rest) else { break }
            at = from + next
        }
        out.append(contentsOf: bytes[from...])
        return out
    }

    /// The largest cut at or before `proposed` that splits neither a secret
    /// occurrence nor a UTF-8 sequence, so each piece of a long line is
    /// masked and decoded on its own.
    func safeCut(_ bytes: UnsafeBufferPointer<UInt8>, at proposed: Int) -> Int {
        var cut = proposed
        if longest > 1, longest < proposed {
            let from = cut - longest + 1
            let to = min(bytes.count, cut + longest - 1)
            let window = UnsafeBufferPointer(rebasing: bytes[from..<to])
            for value in values {
                var start = 0
                while let found = ProtocolParser.firstIndex(
                    of: value, in: UnsafeBufferPointer(rebasing: window[start...]))
                {
                    let at = from + start + found
                    if at < cut, at + value.count > cut { cut = at }
                    start += found + 1
                }
            }
        }
        return LineSplitter.utf8Boundary(bytes, at: cut > 0 ? cut : proposed)
    }
}
