import Testing

@testable import YAMLNodes

/// Shortcuts for reading trees in assertions.
extension Node {
    var text: String? {
        if case .scalar(let text, _) = kind { return text }
        return nil
    }
    var style: ScalarStyle? {
        if case .scalar(_, let style) = kind { return style }
        return nil
    }
    var items: [Node] {
        if case .sequence(let items) = kind { return items }
        return []
    }
    var pairs: [Pair] {
        if case .mapping(let pairs) = kind { return pairs }
        return []
    }
    subscript(key: String) -> Node? { pairs.first { $0.key.text == key }?.value }
    var keys: [String] { pairs.compactMap(\.key.text) }
}

private func one(_ text: String) throws -> Node {
    let documents = try parseYAML(text)
    return try #require(documents.first)
}

@Test func marksAreOneBasedLineAndColumn() throws {
    let root = try one("jobs:\n  - id: a\n    title: \"x\"\n")
    #expect(root.mark == Mark(line: 1, column: 1))
    let job = try #require(root["jobs"]?.items.first)
    #expect(job.mark == Mark(line: 2, column: 5))
    #expect(job.pairs[0].key.mark == Mark(line: 2, column: 5))
    #expect(job["id"]?.mark == Mark(line: 2, column: 9))
    #expect(job["title"]?.mark == Mark(line: 3, column: 12))
}

@Test func columnsCountCharactersNotBytes() throws {
    let root = try one("café: [é, x]\n")
    #expect(root["café"]?.items[1].mark == Mark(line: 1, column: 11))
}

@Test(arguments: [
    ("a: plain", ScalarStyle.plain),
    ("a: 'single'", .singleQuoted),
    ("a: \"double\"", .doubleQuoted),
    ("a: |\n  literal\n", .literal),
    ("a: >\n  folded\n", .folded),
])
func scalarStylesAreKept(source: String, expected: ScalarStyle) throws {
    #expect(try one(source)["a"]?.style == expected)
}

@Test func scalarsStayTextAsWritten() throws {
    let root = try one("- NO\n- on\n- 1.10\n- 010\n- ~\n")
    #expect(root.items.map(\.text) == ["NO", "on", "1.10", "010", "~"])
}

@Test func shortTagsAreKeptAsWritten() throws {
    let root = try one("a: !retval setup\nb: !secret token\nc: !!str 10\nd: plain\ne: ! '5'\n")
    #expect(root["a"]?.tag == "!retval")
    #expect(root["a"]?.text == "setup")
    #expect(root["b"]?.tag == "!secret")
    #expect(root["c"]?.tag == "tag:yaml.org,2002:str")
    #expect(root["d"]?.tag == nil)
    #expect(root["e"]?.tag == nil)
}

@Test func eachDocumentIsOneNode() throws {
    #expect(try parseYAML("a: 1\n---\nb: 2\n").count == 2)
    #expect(try parseYAML("").isEmpty)
    #expect(try parseYAML("# only a comment\n").isEmpty)
}

@Test func aliasesAreExpanded() throws {
    let root = try one("base: &b [x, y]\ncopy: *b\n")
    #expect(root["copy"]?.items.map(\.text) == ["x", "y"])
    #expect(root["copy"]?.mark == Mark(line: 2, column: 7))
}

@Test func mergeKeyAppliesAMapAndExplicitKeysWin() throws {
    let root = try one("d: &d {a: 1, b: 2}\nm:\n  <<: *d\n  b: 3\n  c: 4\n")
    let merged = try #require(root["m"])
    #expect(merged["a"]?.text == "1")
    #expect(merged["b"]?.text == "3")
    #expect(merged["c"]?.text == "4")
    #expect(merged.keys == ["a", "b", "c"])
}

@Test func mergeKeyAppliesAListOfMapsFirstWins() throws {
    let source = "x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\nm:\n  <<: [*x, *y]\n  c: 3\n"
    let merged = try #require(try one(source)["m"])
    #expect(merged.keys == ["a", "b", "c"])
    #expect(merged["b"]?.text == "1")
    #expect(merged["c"]?.text == "3")
}

@Test func aMergeOfAScalarIsRefused() {
    #expect(throws: YAMLError.badMerge(at: Mark(line: 1, column: 15))) {
        try parseYAML("m: {a: 1, <<: text}\n")
    }
}

@Test func aDuplicateKeyNamesBothPlaces() {
    #expect(
        throws: YAMLError.duplicateKey(
            "id", at: Mark(line: 3, column: 3), first: Mark(line: 1, column: 3))
    ) {
        try parseYAML("- id: a\n  title: t\n  id: b\n")
    }
}

@Test func anUnknownAnchorIsAnError() {
    #expect(throws: YAMLError.unknownAnchor("nope", at: Mark(line: 1, column: 4))) {
        try parseYAML("a: *nope\n")
    }
}

@Test func anAliasBombIsRefused() {
    var source = "a: &a [x, x, x, x, x, x, x, x, x]\n"
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
    for (previous, name) in zip(names, names.dropFirst()) {
        let refs = Array(repeating: "*\(previous)", count: 9).joined(separator: ", ")
        source += "\(name): &\(name) [\(refs)]\n"
    }
    #expect(throws: YAMLError.tooManyNodes(limit: 1_000_000, at: Mark(line: 7, column: 8))) {
        try parseYAML(source)
    }
}

@Test(arguments: [
    ("jobs:\n\t- id: a\n", Mark(line: 2, column: 1)),
    ("jobs:\n  - id: a\n\tcommand: x\n", Mark(line: 3, column: 1)),
])
func tabIndentationGetsAClearMessage(source: String, mark: Mark) {
    let expected = YAMLError.syntax(
        message: "a tab character in indentation; YAML indents with spaces only", context: nil,
        at: mark)
    #expect(throws: expected) { try parseYAML(source) }
}

@Test func libyamlSyntaxErrorsCarryTheirMark() {
    #expect(
        throws: YAMLError.syntax(
            message: "did not find expected ',' or ']'", context: "while parsing a flow sequence",
            at: Mark(line: 2, column: 1), contextMark: Mark(line: 1, column: 4))
    ) {
        try parseYAML("a: [x, y\n")
    }
}

@Test func invalidUTF8IsReportedWithItsPosition() throws {
    let bytes: [UInt8] = Array("a: 1\nb: x".utf8) + [0xFF] + Array("\n".utf8)
    #expect(
        throws: YAMLError.invalidText(
            message: "invalid UTF-8: the file must be UTF-8 text", at: Mark(line: 2, column: 5))
    ) {
        try decodeUTF8(bytes)
    }
    #expect(try decodeUTF8(Array("é".utf8)) == "é")
}

@Test func aByteOrderMarkIsDropped() throws {
    #expect(try decodeUTF8([0xEF, 0xBB, 0xBF] + Array("jobs: []".utf8)) == "jobs: []")
    #expect(try decodeUTF8([0xEF, 0xBB, 0xBF]) == "")
    // Only at the start.
    #expect(try decodeUTF8(Array("a".utf8) + [0xEF, 0xBB, 0xBF]) == "a\u{FEFF}")
    // A bad byte after the mark is still located on line 1.
    #expect(throws: YAMLError.self) { try decodeUTF8([0xEF, 0xBB, 0xBF, 0xFF]) }
}

/// Collections nested more than 512 levels are refused at the first one too
/// deep (here the 511th `[`, inside a mapping and a sequence) (a tester's line of 100,000 `[` overflowed the stack when the node
/// tree was freed); 512 levels still read.
@Test func collectionsNestedTooDeeplyAreRefused() throws {
    let tooDeep = YAMLError.syntax(
        message: "collections nested too deeply (more than 512 levels)", context: nil,
        at: Mark(line: 2, column: 515))
    for depth in [513, 100_000] {
        let text = "a:\n  - " + String(repeating: "[", count: depth)
            + String(repeating: "]", count: depth) + "\n"
        #expect(throws: tooDeep) { try parseYAML(text) }
    }
    let deepest = "a: " + String(repeating: "{b: ", count: 511) + "1"
        + String(repeating: "}", count: 511) + "\n"
    var node = try parseYAML(deepest)[0]
    var levels = 0
    while case .mapping(let pairs) = node.kind {
        levels += 1
        node = pairs[0].value
    }
    #expect(levels == 512)
}
