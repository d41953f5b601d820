/// Files that include each other until the nesting limit: named as a cycle
/// at the include that closes it (`b.j2:1:1: include cycle: a.j2 -> b.j2 ->
/// a.j2`), instead of the hundred includes that led there.
///
/// Thrown past the frames it would otherwise collect (they are the cycle
/// again and again); `Environment` hands its `error` to the caller.
struct IncludeCycle: Error {
    let error: TemplateError

    /// The cycle among the includes that led to `inner` at `calledAt` of
    /// `current`, when the innermost ones are includes of files seen before
    /// (a macro or import frame between them ends the search); nil else.
    static func find(
        entering inner: SourceText, at calledAt: Int, from current: SourceText, frame: Int32,
        map: OriginMap, limit: Int
    ) -> IncludeCycle? {
        // The files entered, innermost first, each with the include that entered it.
        var entered: [(name: String, at: SourcePosition?)] = [
            (inner.name, current.position(of: calledAt)), (current.name, nil),
        ]
        var index = frame
        while index >= 0 {
            let record = map.frames[Int(index)]
            guard record.macroName == nil, !record.isImport else { break }
            let caller = map.sources[Int(record.calledSource)]
            entered[entered.count - 1].at = caller.position(of: Int(record.calledOffset))
            entered.append((caller.name, nil))
            index = record.parent
        }
        // Outermost first: the first file entered again, and where it was.
        let chain = Array(entered.reversed())
        var first: [String: Int] = [:]
        for (position, file) in chain.enumerated() {
            if let start = first[file.name], let closing = file.at {
                let names = chain[start...position].map(\.name).joined(separator: " -> ")
                return IncludeCycle(
                    error: TemplateError(
                        position: closing,
                        message: "include cycle: \(names) (more than \(limit) nested includes)"))
            }
            if first[file.name] == nil { first[file.name] = position }
        }
        return nil
    }
}
