/// Rendered text and the map back to where each part was written.
public struct Rendered: RenderedText {
    public let text: String
    private let lineStarts: [Int]
    private let map: OriginMap
    private let file: String

    init(bytes: [UInt8], map: OriginMap, file: String) {
        self.text = String(decoding: bytes, as: UTF8.self)
        self.lineStarts = SourceText.lineStarts(of: bytes)
        self.map = map
        self.file = file
    }

    /// The origin of the character at `line`:`column` (1-based, columns in
    /// Unicode scalars); positions past the end map to the last text written.
    public func origin(line: Int, column: Int) -> Origin {
        var text = text
        let offset = text.withUTF8 { bytes in
            SourceText.offset(line: line, column: column, in: bytes, lineStarts: lineStarts)
                ?? bytes.count
        }
        return map.origin(ofOutputOffset: offset)
            ?? Origin(position: SourcePosition(file: file, line: 1, column: 1))
    }
}
