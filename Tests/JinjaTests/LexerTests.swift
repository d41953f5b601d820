import Testing

@testable import Jinja

@Suite struct LexerTests {
    private func kinds(_ text: String) throws -> [String] {
        try Lexer.tokenize(SourceText(name: "t", text: text)).map { token in
            switch token.kind {
            case .text: return "text"
            case .variableBegin: return "{{"
            case .variableEnd: return "}}"
            case .blockBegin: return "{%"
            case .blockEnd: return "%}"
            case .name: return "name:" + token.text
            case .string: return "str:" + token.text
            case .int: return "int:\(token.int)"
            case .float: return "float:\(token.double)"
            case .op: return token.text
            case .eof: return "eof"
            }
        }
    }

    @Test func tagsSplitIntoTokens() throws {
        #expect(
            try kinds("a{{ x.y|f(1, 'q') }}") == [
                "text", "{{", "name:x", ".", "name:y", "|", "name:f", "(", "int:1", ",", "str:q",
                ")",
                "}}", "eof",
            ])
        #expect(
            try kinds("{% for k, v in d %}") == [
                "{%", "name:for", "name:k", ",", "name:v", "name:in", "name:d", "%}", "eof",
            ])
    }

    @Test func numbersFollowPythonLiterals() throws {
        #expect(
            try kinds("{{ 1_000 0x1f 0o17 0b11 2.5 1e3 x.0.1 }}") == [
                "{{", "int:1000", "int:31", "int:15", "int:3", "float:2.5", "float:1000.0",
                "name:x", ".",
                "int:0", ".", "int:1", "}}", "eof",
            ])
    }

    @Test func closingBracesInsideBracketsDoNotEndTheTag() throws {
        #expect(try kinds("{{ {'a': {'b': 1}} }}").suffix(4) == ["}", "}", "}}", "eof"])
    }

    @Test func stringEscapesAreDecoded() throws {
        let tokens = try Lexer.tokenize(
            SourceText(name: "t", text: #"{{ 'a\n\t\'\u00e9\x41\q' }}"#))
        #expect(tokens[1].text == "a\n\t'éA\\q")
    }

    @Test func whitespaceControlTrimsTextTokens() throws {
        let source = SourceText(name: "t", text: "a  \n {%- if x -%}\n  b {{- y }} c")
        let texts = try Lexer.tokenize(source).filter { $0.kind == .text }.map {
            String(decoding: source.bytes[$0.offset..<$0.end], as: UTF8.self)
        }
        #expect(texts == ["a", "b", " c"])
    }

    @Test func oneTrailingNewlineIsDroppedAndCRLFNormalised() {
        #expect(SourceText(name: "t", text: "a\r\nb\r\n\r\n").bytes == Array("a\nb\n".utf8))
        #expect(SourceText(name: "t", text: "x\n").bytes == Array("x".utf8))
    }
}
