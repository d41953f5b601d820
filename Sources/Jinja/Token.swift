/// One token of a template: literal text, a tag delimiter, or a piece of an expression.
struct Token {
    enum Kind: Equatable {
        case text, variableBegin, variableEnd, blockBegin, blockEnd
        case name, string, int, float, op, eof
    }

    var kind: Kind
    /// Byte offset of the token's first byte in the source.
    var offset: Int
    /// For text: the byte offset just past the text.
    var end: Int = 0
    /// A name, an operator, or a decoded string literal.
    var text: String = ""
    var int: Int = 0
    var double: Double = 0

    func isName(_ name: String) -> Bool { kind == .name && text == name }
    func isOp(_ op: String) -> Bool { kind == .op && text == op }

    /// How the token reads in an error message.
    var described: String {
        switch kind {
        case .text: return "text"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .name, .op: return "'\(text)'"
        case .string: return "string"
        case .int, .float: return "number"
        case .eof: return "end of template"
        }
    }
}
