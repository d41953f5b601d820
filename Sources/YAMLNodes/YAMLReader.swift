import CYaml

#if canImport(Glibc)
    import Glibc
#endif

/// Reads YAML text into one `Node` per document.
///
/// Works on libyaml's event API: nodes are built as events arrive, aliases are
/// expanded by sharing the anchored node (Swift's copy-on-write keeps that
/// cheap), and the number of nodes an expansion would produce is counted as we
/// go, so an alias bomb is refused after a few events instead of after filling
/// memory. `nodeLimit` bounds the nodes aliases add, not the nodes written.
/// Merge keys (`<<`) are applied when their mapping ends.
///
/// - Throws: `YAMLError`: `.syntax` (libyaml's message; tabs in indentation
///   get a clearer one), `.duplicateKey`, `.unknownAnchor`, `.tooManyNodes`,
///   `.badMerge`, `.invalidText`.
public func parseYAML(_ text: String, nodeLimit: Int = 1_000_000) throws -> [Node] {
    var text = text
    return try text.withUTF8 { bytes in
        var reader = YAMLReader(bytes: bytes, nodeLimit: nodeLimit)
        return try reader.read()
    }
}

/// The most levels sequences and mappings may nest in one document.
/// Comparing, hashing, decoding and freeing a `Node` walk it recursively, so
/// a line of a hundred thousand `[` would otherwise overflow the stack; job
/// files nest a handful of levels.
public let maximumYAMLNesting = 512

/// Decodes bytes as UTF-8, or says where the first invalid sequence is.
///
/// Swift `String`s are always valid UTF-8, so a file must pass here before
/// it can be rendered and parsed. A leading UTF-8 byte-order mark is dropped.
/// - Throws: `YAMLError.invalidText` with the line and column of the bad byte.
public func decodeUTF8<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws -> String {
    // A byte-order mark some editors write first is not part of the text.
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { return try decodeUTF8(bytes.dropFirst(3)) }
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    var line = 1
    var column = 1
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    loop: while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar):
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        case .emptyInput:
            break loop
        case .error:
            return try throwInvalid(line: line, column: column)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

private func throwInvalid(line: Int, column: Int) throws -> String {
    throw YAMLError.invalidText(
        message: "invalid UTF-8: the file must be UTF-8 text", at: Mark(line: line, column: column))
}

/// The state of one `parseYAML` call: the libyaml parser and a stack of
/// unfinished collections.
private struct YAMLReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let nodeLimit: Int
    /// Nodes produced by expanding aliases so far. Written nodes are not
    /// counted: their number is bounded by the text's size, and a large but
    /// honest file must not hit the limit.
    var nodeCount = 0
    var anchors: [String: (node: Node, size: Int)] = [:]
    var stack: [Frame] = []
    var documents: [Node] = []

    /// A sequence or mapping being built; `size` counts its nodes so far.
    struct Frame {
        var isMapping: Bool
        var items: [Node] = []
        var tag: String?
        var anchor: String?
        var mark: Mark
        var size = 1
    }

    init(bytes: UnsafeBufferPointer<UInt8>, nodeLimit: Int) {
        self.bytes = bytes
        self.nodeLimit = nodeLimit
    }

    mutating func read() throws -> [Node] {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else {
            throw YAMLError.syntax(
                message: "out of memory", context: nil, at: Mark(line: 1, column: 1))
        }
        defer { yaml_parser_delete(&parser) }
        if let (offset, problem) = yaml11LineBreak() {
            throw YAMLError.invalidText(message: problem, at: position(ofByte: offset))
        }
        if let base = bytes.baseAddress {
            yaml_parser_set_input_string(&parser, base, bytes.count)
        } else {
            let empty: [UInt8] = [0]
            return try empty.withUnsafeBufferPointer { buffer in
                yaml_parser_set_input_string(&parser, buffer.baseAddress, 0)
                return try readEvents(&parser)
            }
        }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        return try readEvents(&parser)
    }

    mutating func readEvents(_ parser: inout yaml_parser_t) throws -> [Node] {
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) != 0 else { throw syntaxError(parser) }
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { return documents }
            try handle(event)
        }
    }

    mutating func handle(_ event: yaml_event_t) throws {
        let mark = Mark(
            line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            anchors.removeAll(keepingCapacity: true)
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let value = string(data.value, Int(data.length))
            let node = Node(
                kind: .scalar(value, style(data.style)), tag: tagString(data.tag), mark: mark)
            try add(node, size: 1, anchor: data.anchor)
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            try push(
                Frame(
                    isMapping: false, tag: tagString(data.tag), anchor: cString(data.anchor),
                    mark: mark))
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            try push(
                Frame(
                    isMapping: true, tag: tagString(data.tag), anchor: cString(data.anchor),
                    mark: mark))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            let frame = stack.removeLast()
            let kind: Node.Kind =
                frame.isMapping ? .mapping(try pairs(of: frame)) : .sequence(frame.items)
            let node = Node(kind: kind, tag: frame.tag, mark: frame.mark)
            try finish(node, size: frame.size, anchor: frame.anchor)
        case YAML_ALIAS_EVENT:
            let name = cString(event.data.alias.anchor) ?? ""
            guard let (anchored, size) = anchors[name] else {
                throw YAMLError.unknownAnchor(name, at: mark)
            }
            var node = anchored
            node.mark = mark
            try count(size, at: mark)
            try finish(node, size: size, anchor: nil)
        default:
            break
        }
    }

    /// Refuses a collection nested deeper than `maximumYAMLNesting`, at
    /// its own line and column.
    mutating func push(_ frame: Frame) throws {
        guard stack.count < maximumYAMLNesting else {
            let message = "collections nested too deeply (more than \(maximumYAMLNesting) levels)"
            throw YAMLError.syntax(message: message, context: nil, at: frame.mark)
        }
        stack.append(frame)
    }

    mutating func add(_ node: Node, size: Int, anchor: UnsafeMutablePointer<yaml_char_t>?) throws {
        try finish(node, size: size, anchor: cString(anchor))
    }

    /// Hands a finished node to its parent (or the document list) and
    /// remembers it under its anchor.
    mutating func finish(_ node: Node, size: Int, anchor: String?) throws {
        if let anchor { anchors[anchor] = (node, size) }
        if stack.isEmpty {
            documents.append(node)
        } else {
            stack[stack.count - 1].items.append(node)
            stack[stack.count - 1].size += size
        }
    }

    mutating func count(_ size: Int, at mark: Mark) throws {
        nodeCount += size
        if nodeCount > nodeLimit { throw YAMLError.tooManyNodes(limit: nodeLimit, at: mark) }
    }

    /// Pairs a mapping's items, refuses duplicate keys, and applies `<<`.
    ///
    /// Keys written in the mapping win over merged ones; among merged
    /// mappings the first that has a key wins, as the YAML merge spec says.
    /// Merged pairs take the place of the `<<` key.
    func pairs(of frame: Frame) throws -> [Node.Pair] {
        let items = frame.items
        let hasMerge = try checkDuplicateKeys(items)
        guard hasMerge else {
            var result: [Node.Pair] = []
            result.reserveCapacity(items.count / 2)
            var index = 0
            while index + 1 < items.count {
                result.append(Node.Pair(key: items[index], value: items[index + 1]))
                index += 2
            }
            return result
        }
        var explicit: Set<String> = []
        var index = 0
        while index + 1 < items.count {
            if !isMergeKey(items[index]), case .scalar(let text, _) = items[index].kind {
                explicit.insert(text)
            }
            index += 2
        }
        var result: [Node.Pair] = []
        result.reserveCapacity(items.count / 2)
        var merged: Set<String> = []
        index = 0
        while index + 1 < items.count {
            let key = items[index]
            let value = items[index + 1]
            index += 2
            guard isMergeKey(key) else {
                result.append(Node.Pair(key: key, value: value))
                continue
            }
            for pair in try mergedPairs(value) {
                guard case .scalar(let text, _) = pair.key.kind else {
                    result.append(pair)
                    continue
                }
                if explicit.contains(text) || merged.contains(text) { continue }
                merged.insert(text)
                result.append(pair)
            }
        }
        return result
    }

    /// Refuses a key written twice; says whether there is a merge key.
    ///
    /// Small mappings (most job mappings) are checked by comparing keys
    /// pairwise, which is faster than hashing every key into a dictionary.
    func checkDuplicateKeys(_ items: [Node]) throws -> Bool {
        var hasMerge = false
        let keyCount = items.count / 2
        if keyCount <= 12 {
            for i in 0..<keyCount {
                let key = items[2 * i]
                if isMergeKey(key) {
                    hasMerge = true
                    continue
                }
                guard case .scalar(let text, _) = key.kind else { continue }
                for j in 0..<i {
                    let earlier = items[2 * j]
                    if case .scalar(text, _) = earlier.kind, !isMergeKey(earlier) {
                        throw YAMLError.duplicateKey(text, at: key.mark, first: earlier.mark)
                    }
                }
            }
            return hasMerge
        }
        var seen: [String: Mark] = [:]
        seen.reserveCapacity(keyCount)
        for i in 0..<keyCount {
            let key = items[2 * i]
            if isMergeKey(key) {
                hasMerge = true
                continue
            }
            guard case .scalar(let text, _) = key.kind else { continue }
            if let first = seen.updateValue(key.mark, forKey: text) {
                throw YAMLError.duplicateKey(text, at: key.mark, first: first)
            }
        }
        return hasMerge
    }

    func mergedPairs(_ value: Node) throws -> [Node.Pair] {
        switch value.kind {
        case .mapping(let pairs):
            return pairs
        case .sequence(let maps):
            var all: [Node.Pair] = []
            for map in maps {
                guard case .mapping(let pairs) = map.kind else {
                    throw YAMLError.badMerge(at: map.mark)
                }
                all.append(contentsOf: pairs)
            }
            return all
        case .scalar:
            throw YAMLError.badMerge(at: value.mark)
        }
    }

    func isMergeKey(_ node: Node) -> Bool {
        guard case .scalar(let text, let style) = node.kind, text == "<<" else { return false }
        if node.tag == "tag:yaml.org,2002:merge" { return true }
        return style == .plain && node.tag == nil
    }

    /// The first U+0085, U+2028 or U+2029 written as itself, with what to
    /// write instead. libyaml reads them as line breaks (YAML 1.1): a value
    /// would silently hold a space instead, and every later line number
    /// would be off by one.
    /// Found with `memchr` on their lead bytes: every job file passes here.
    func yaml11LineBreak() -> (offset: Int, problem: String)? {
        let count = bytes.count
        let nextLine = first(lead: 0xC2) { $0 + 1 < count && bytes[$0 + 1] == 0x85 }
        let separator = first(lead: 0xE2) {
            $0 + 2 < count && bytes[$0 + 1] == 0x80
                && (bytes[$0 + 2] == 0xA8 || bytes[$0 + 2] == 0xA9)
        }
        if let nextLine, nextLine < separator ?? Int.max {
            return (nextLine, Self.lineBreakProblem("U+0085 (next line)", escape: "\\N"))
        }
        guard let separator else { return nil }
        return bytes[separator + 2] == 0xA8
            ? (separator, Self.lineBreakProblem("U+2028 (line separator)", escape: "\\L"))
            : (separator, Self.lineBreakProblem("U+2029 (paragraph separator)", escape: "\\P"))
    }

    /// The offset of the first byte `lead` for which `matches` holds.
    private func first(lead: UInt8, where matches: (Int) -> Bool) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var from = 0
        while from < bytes.count, let found = memchr(base + from, Int32(lead), bytes.count - from) {
            let offset = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
            if matches(offset) { return offset }
            from = offset + 1
        }
        return nil
    }

    static func lineBreakProblem(_ character: String, escape: String) -> String {
        "a \(character) character written as itself, which YAML reads as a line break; to mean the character, write \"\(escape)\" inside double quotes"
    }

    static let tabMessage = "a tab character in indentation; YAML indents with spaces only"

    func syntaxError(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) }
        if parser.error == YAML_READER_ERROR {
            let offset = parser.problem_offset
            if problem == "control characters are not allowed", offset < bytes.count {
                // Say which one: a NUL a template wrote is invisible in the file.
                var byte = bytes[offset]
                // A C1 control (U+0080 to U+009F) is written C2 80 to C2 9F.
                if byte == 0xC2, offset + 1 < bytes.count { byte = bytes[offset + 1] }
                let hex = (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
                let message =
                    "control character \\x\(hex) is not allowed in YAML text (only tab and line breaks are)"
                return .invalidText(message: message, at: position(ofByte: offset))
            }
            return .invalidText(message: problem, at: position(ofByte: offset))
        }
        let mark = Mark(
            line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        let offset = Int(parser.problem_mark.index)
        let atTab = offset < bytes.count && bytes[offset] == UInt8(ascii: "\t")
        if problem.contains("tab character")
            || atTab && problem.hasPrefix("found character that cannot start")
        {
            return .syntax(message: Self.tabMessage, context: nil, at: mark)
        }
        let contextMark = context.map { _ in
            Mark(
                line: Int(parser.context_mark.line) + 1, column: Int(parser.context_mark.column) + 1
            )
        }
        return .syntax(message: problem, context: context, at: mark, contextMark: contextMark)
    }

    /// The 1-based line and column of a byte offset (for reader errors, whose
    /// mark libyaml leaves unset).
    func position(ofByte offset: Int) -> Mark {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return Mark(line: line, column: column)
    }
}

private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, _ length: Int) -> String {
    guard let pointer, length > 0 else { return "" }
    return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
}

private func cString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
    guard let pointer else { return nil }
    return String(cString: pointer)
}

/// The tag as libyaml resolved it; `!` (the non-specific tag of a quoted
/// scalar written with a bare `!`) counts as none.
private func tagString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
    guard let pointer else { return nil }
    if pointer[0] == UInt8(ascii: "!"), pointer[1] == 0 { return nil }
    return String(cString: pointer)
}

private func style(_ style: yaml_scalar_style_t) -> ScalarStyle {
    switch style {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
    case YAML_LITERAL_SCALAR_STYLE: return .literal
    case YAML_FOLDED_SCALAR_STYLE: return .folded
    default: return .plain
    }
}
