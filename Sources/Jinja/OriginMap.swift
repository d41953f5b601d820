/// One run of output written by one place: literal template text (mapped
/// byte for byte) or the value of one `{{ }}` (mapped to its expression).
struct Segment {
    var outputStart: UInt32
    var offset: UInt32
    var frame: Int32
    var source: UInt16
    var isLiteral: Bool
}

/// A macro call or include that output was written inside, linked to the one around it.
struct FrameRecord {
    var macroName: String?
    var isImport = false
    var definedSource: Int32
    var definedOffset: Int32
    var calledSource: Int32
    var calledOffset: Int32
    var parent: Int32
}

/// The compact map from rendered byte offsets to template positions.
struct OriginMap: Sendable {
    var sources: [SourceText] = []
    var segments: [Segment] = []
    var frames: [FrameRecord] = []

    /// The origin of the output byte at `offset`.
    func origin(ofOutputOffset offset: Int) -> Origin? {
        guard !segments.isEmpty else { return nil }
        var low = 0
        var high = segments.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if Int(segments[mid].outputStart) <= offset { low = mid } else { high = mid - 1 }
        }
        let segment = segments[low]
        let source = sources[Int(segment.source)]
        var sourceOffset = Int(segment.offset)
        if segment.isLiteral { sourceOffset += max(0, offset - Int(segment.outputStart)) }
        let written = source.position(of: sourceOffset)
        let chain = frameChain(from: segment.frame)
        return Origin(
            position: chain.last?.calledFrom ?? written, frames: chain, writtenAt: written)
    }

    private func frameChain(from index: Int32) -> [Origin.Frame] {
        var chain: [Origin.Frame] = []
        var index = index
        while index >= 0 {
            let record = frames[Int(index)]
            let what = FrameRecord.describe(macroName: record.macroName, isImport: record.isImport)
            chain.append(
                Origin.Frame(
                    what: what,
                    definedAt: sources[Int(record.definedSource)].position(
                        of: Int(record.definedOffset)),
                    calledFrom: sources[Int(record.calledSource)].position(
                        of: Int(record.calledOffset))))
            index = record.parent
        }
        return chain
    }
}

extension FrameRecord: Sendable {
    /// `macro 'site'`, `include` or `import`, as `Origin.Frame.what` reads.
    static func describe(macroName: String?, isImport: Bool) -> String {
        if let macroName { return "macro '\(macroName)'" }
        return isImport ? "import" : "include"
    }
}
extension Segment: Sendable {}
