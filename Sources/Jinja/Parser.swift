/// Turns tokens into statements and expressions, following Jinja's grammar
/// and operator precedence.
struct Parser {
    private let source: SourceText
    private let tokens: [Token]
    private var pos = 0
    /// Open block tags, innermost last, for "never closed" messages.
    private var openTags: [(name: String, offset: Int)] = []
    /// Inside `{% if %}` bodies an unknown filter or test is an error only
    /// when evaluated, as in Jinja 3.
    private var conditionalDepth = 0
    /// The blocks defined so far, for `Template.blocks`.
    private var blocks: [String: BlockDefinition] = [:]
    /// How deep the expression being parsed is nested so far: brackets,
    /// unary operators, and each operator, filter or attribute wrapped
    /// around a left operand. See `maximumNesting`.
    private var nesting = 0

    /// The most levels an expression, or blocks inside blocks, may nest.
    /// Parsing, rendering and freeing a template walk its tree recursively,
    /// so without a limit `{{ ((((...` or `[[[[...` a few thousand deep
    /// would overflow the stack. Real templates nest a handful of levels.
    static let maximumNesting = 100

    static let knownTags: [String] = [
        "set", "endset", "if", "elif", "else", "endif", "for", "endfor", "macro", "endmacro",
        "include", "import", "from", "raw", "endraw", "filter", "endfilter", "with", "endwith",
        "call", "endcall", "extends", "block", "endblock",
    ]
    // `do`, `break`/`continue` and `trans` belong to extensions Jinja does not
    // load by default, so it refuses them too.
    // TODO(#2): `autoescape` is refused with "tag 'autoescape' is not
    // supported"; a jobs.d file cannot switch HTML escaping on.
    static let unsupportedTags: Set<String> = [
        "autoescape", "endautoescape", "do", "break", "continue", "trans", "endtrans",
    ]

    init(source: SourceText, tokens: [Token]) {
        self.source = source
        self.tokens = tokens
    }

    /// - Throws: `TemplateError` for syntax errors, unknown tags and unclosed blocks.
    static func parse(_ source: SourceText) throws -> Template {
        var parser = Parser(source: source, tokens: try Lexer.tokenize(source))
        let (nodes, _) = try parser.parseBody(until: [])
        return Template(source: source, nodes: nodes, blocks: parser.blocks)
    }

    // MARK: - Tokens

    private var current: Token { tokens[pos] }
    private var next: Token { tokens[min(pos + 1, tokens.count - 1)] }

    private mutating func advance() -> Token {
        let token = tokens[pos]
        if pos < tokens.count - 1 { pos += 1 }
        return token
    }

    private func error(_ message: String, at offset: Int, suggestion: String? = nil)
        -> TemplateError
    {
        TemplateError(
            position: source.position(of: offset), message: message, suggestion: suggestion)
    }

    private func unexpected(_ expected: String) -> TemplateError {
        error("expected \(expected), found \(current.described)", at: current.offset)
    }

    private mutating func expectOp(_ op: String) throws {
        guard current.isOp(op) else { throw unexpected("'\(op)'") }
        pos += 1
    }

    private mutating func skipOp(_ op: String) -> Bool {
        if current.isOp(op) {
            pos += 1
            return true
        }
        return false
    }

    private mutating func skipName(_ name: String) -> Bool {
        if current.isName(name) {
            pos += 1
            return true
        }
        return false
    }

    private mutating func expectName() throws -> Token {
        guard current.kind == .name else { throw unexpected("a name") }
        return advance()
    }

    private mutating func expectBlockEnd() throws {
        guard current.kind == .blockEnd else { throw unexpected("'%}'") }
        pos += 1
    }

    // MARK: - Statements

    /// Parses statements until a block tag named in `endTags`; returns it, consumed up to its name.
    private mutating func parseBody(until endTags: [String]) throws -> ([Node], String) {
        var nodes: [Node] = []
        while true {
            let token = advance()
            switch token.kind {
            case .eof:
                if let open = openTags.last {
                    let expected = endTags.map { "'\($0)'" }.joined(separator: " or ")
                    throw error(
                        "'\(open.name)' tag is never closed: expected \(expected)", at: open.offset)
                }
                return (nodes, "")
            case .text:
                nodes.append(.text(start: token.offset, end: token.end))
            case .variableBegin:
                let start = current.offset
                let expr = try parseTuple()
                guard current.kind == .variableEnd else { throw unexpected("'}}'") }
                pos += 1
                nodes.append(.output(expr, at: start))
            case .blockBegin:
                let name = try expectName()
                if endTags.contains(name.text) { return (nodes, name.text) }
                nodes.append(try parseStatement(name, tagOffset: token.offset, endTags: endTags))
            default:
                throw error("unexpected \(token.described)", at: token.offset)
            }
        }
    }

    private mutating func parseStatement(_ name: Token, tagOffset: Int, endTags: [String]) throws
        -> Node
    {
        switch name.text {
        case "set": return try parseSet(tagOffset)
        case "if": return try parseIf(tagOffset)
        case "for": return try parseFor(tagOffset)
        case "macro": return try parseMacro(tagOffset)
        case "include": return try parseInclude(tagOffset)
        case "import": return try parseImport(tagOffset)
        case "from": return try parseFrom(tagOffset)
        case "filter": return try parseFilterBlock(tagOffset)
        case "with": return try parseWith(tagOffset)
        case "call": return try parseCallBlock(tagOffset)
        case "extends":
            let parent = try parseExpression()
            try expectBlockEnd()
            return .extends(parent, at: tagOffset)
        case "block": return try parseBlockTag(tagOffset, nameOffset: name.offset)
        default: break
        }
        if Parser.knownTags.contains(name.text) {
            let expected =
                endTags.isEmpty
                ? "" : "; expected " + endTags.map { "'\($0)'" }.joined(separator: " or ")
            throw error("unexpected '\(name.text)' tag\(expected)", at: name.offset)
        }
        if Parser.unsupportedTags.contains(name.text) {
            throw error("tag '\(name.text)' is not supported", at: name.offset)
        }
        let suggestion = closestName(to: name.text, in: Parser.knownTags)
        throw error("unknown tag '\(name.text)'", at: name.offset, suggestion: suggestion)
    }

    private mutating func parseBlock(
        _ tag: String, _ offset: Int, until endTags: [String]
    ) throws -> ([Node], String) {
        guard openTags.count < Self.maximumNesting else {
            throw error(
                "too many nested blocks (more than \(Self.maximumNesting))", at: offset)
        }
        openTags.append((tag, offset))
        defer { openTags.removeLast() }
        return try parseBody(until: endTags)
    }

    private mutating func parseSet(_ offset: Int) throws -> Node {
        let target = try parseAssignTarget(allowAttribute: true)
        if skipOp("=") {
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, at: offset)
        }
        let filters = try parseFilterChain(requireFirst: false)
        try expectBlockEnd()
        let (body, _) = try parseBlock("set", offset, until: ["endset"])
        try expectBlockEnd()
        return .setBlock(target, body, filters: filters, at: offset)
    }

    private mutating func parseAssignTarget(allowAttribute: Bool = false) throws -> AssignTarget {
        var names: [AssignTarget] = []
        repeat {
            if skipOp("(") {
                names.append(try parseAssignTarget())
                try expectOp(")")
            } else {
                let name = try expectName()
                if current.isOp(".") {
                    guard allowAttribute else {
                        throw error("cannot assign to an attribute here", at: current.offset)
                    }
                    pos += 1
                    let attribute = try expectName()
                    names.append(.attribute(name.text, attribute.text, at: attribute.offset))
                    continue
                }
                names.append(.name(name.text))
            }
        } while skipOp(",") && (current.kind == .name || current.isOp("("))
        return names.count == 1 ? names[0] : .tuple(names)
    }

    private mutating func parseIf(_ offset: Int) throws -> Node {
        var branches: [(Expr, [Node])] = []
        var condition = try parseExpression()
        while true {
            try expectBlockEnd()
            conditionalDepth += 1
            let (body, end) = try parseBlock("if", offset, until: ["elif", "else", "endif"])
            conditionalDepth -= 1
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseExpression()
            case "else":
                try expectBlockEnd()
                conditionalDepth += 1
                let (elseBody, _) = try parseBlock("if", offset, until: ["endif"])
                conditionalDepth -= 1
                try expectBlockEnd()
                return .ifChain(branches, else: elseBody)
            default:
                try expectBlockEnd()
                return .ifChain(branches, else: [])
            }
        }
    }

    private mutating func parseFor(_ offset: Int) throws -> Node {
        let target = try parseAssignTarget()
        guard skipName("in") else { throw unexpected("'in'") }
        let iterable = try parseTuple(withCondition: false)
        var condition: Expr?
        if skipName("if") { condition = try parseExpression() }
        let isRecursive = skipName("recursive")
        try expectBlockEnd()
        let (body, end) = try parseBlock("for", offset, until: ["endfor", "else"])
        var elseBody: [Node] = []
        if end == "else" {
            try expectBlockEnd()
            elseBody = try parseBlock("for", offset, until: ["endfor"]).0
        }
        try expectBlockEnd()
        return .forLoop(
            ForLoop(
                target: target, iterable: iterable, condition: condition, body: body,
                elseBody: elseBody, isRecursive: isRecursive, offset: offset))
    }

    private mutating func parseMacro(_ offset: Int) throws -> Node {
        let name = try expectName()
        try expectOp("(")
        let parameters = try parseParameters()
        try expectBlockEnd()
        let (body, _) = try parseBlock("macro", offset, until: ["endmacro"])
        if current.kind == .name { pos += 1 }
        try expectBlockEnd()
        return .macro(
            MacroDefinition(name: name.text, parameters: parameters, body: body, offset: offset))
    }

    /// `{% call(params) callee(args) %}`: the body is a macro named `caller`
    /// handed to the callee.
    private mutating func parseCallBlock(_ offset: Int) throws -> Node {
        var parameters: [(String, Expr?)] = []
        if skipOp("(") { parameters = try parseParameters() }
        let call = try parseExpression()
        guard case .call = call else {
            throw error("expected a call after 'call', such as 'call macro(...)'", at: call.offset)
        }
        try expectBlockEnd()
        let (body, _) = try parseBlock("call", offset, until: ["endcall"])
        try expectBlockEnd()
        let caller = MacroDefinition(
            name: "caller", parameters: parameters, body: body, offset: offset,
            isCallBlockBody: true)
        return .callBlock(caller: caller, call: call, at: offset)
    }

    /// `{% block name [scoped] [required] %}...{% endblock [name] %}`.
    private mutating func parseBlockTag(_ offset: Int, nameOffset: Int) throws -> Node {
        let name = try expectName()
        var isScoped = false
        var isRequired = false
        while current.kind == .name {
            if skipName("scoped") {
                isScoped = true
            } else if skipName("required") {
                isRequired = true
            } else {
                break
            }
        }
        try expectBlockEnd()
        let (body, _) = try parseBlock("block", offset, until: ["endblock"])
        if current.kind == .name {
            let closing = advance()
            guard closing.text == name.text else {
                throw error(
                    "'endblock \(closing.text)' closes block '\(name.text)'", at: closing.offset)
            }
        }
        try expectBlockEnd()
        if isRequired, !isBlank(body) {
            throw error(
                "required block '\(name.text)' may hold only white space and comments",
                at: name.offset)
        }
        guard blocks[name.text] == nil else {
            throw error("block '\(name.text)' is defined twice", at: name.offset)
        }
        let block = BlockDefinition(
            name: name.text, body: body, isScoped: isScoped, isRequired: isRequired,
            offset: offset)
        blocks[name.text] = block
        return .block(block)
    }

    /// Whether `body` is only white space (comments leave no nodes).
    private func isBlank(_ body: [Node]) -> Bool {
        body.allSatisfy { node in
            guard case .text(let start, let end) = node else { return false }
            return source.bytes[start..<end].allSatisfy {
                $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D
            }
        }
    }

    /// A parameter list after its `(`, up to and including the `)`.
    private mutating func parseParameters() throws -> [(String, Expr?)] {
        var parameters: [(String, Expr?)] = []
        while !current.isOp(")") {
            if !parameters.isEmpty { try expectOp(",") }
            if current.isOp(")") { break }
            let parameter = try expectName()
            var defaultValue: Expr?
            if skipOp("=") {
                defaultValue = try parseExpression()
            } else if parameters.last?.1 != nil {
                throw error(
                    "non-default argument '\(parameter.text)' follows default argument",
                    at: parameter.offset)
            }
            if parameters.contains(where: { $0.0 == parameter.text }) {
                throw error("argument '\(parameter.text)' is named twice", at: parameter.offset)
            }
            parameters.append((parameter.text, defaultValue))
        }
        pos += 1
        return parameters
    }

    private mutating func parseContextModifier(default: Bool) throws -> Bool {
        if current.isName("with") || current.isName("without"), next.isName("context") {
            let with = advance().text == "with"
            pos += 1
            return with
        }
        return `default`
    }

    private mutating func parseInclude(_ offset: Int) throws -> Node {
        let name = try parseExpression()
        var ignoreMissing = false
        if current.isName("ignore"), next.isName("missing") {
            pos += 2
            ignoreMissing = true
        }
        let withContext = try parseContextModifier(default: true)
        try expectBlockEnd()
        return .include(name, ignoreMissing: ignoreMissing, withContext: withContext, at: offset)
    }

    private mutating func parseImport(_ offset: Int) throws -> Node {
        let name = try parseExpression()
        guard skipName("as") else { throw unexpected("'as'") }
        let alias = try expectName()
        let withContext = try parseContextModifier(default: false)
        try expectBlockEnd()
        return .importAs(name, name: alias.text, withContext: withContext, at: offset)
    }

    private mutating func parseFrom(_ offset: Int) throws -> Node {
        let name = try parseExpression()
        guard skipName("import") else { throw unexpected("'import'") }
        var names: [(String, String, Int)] = []
        repeat {
            if current.isName("with") || current.isName("without"), next.isName("context") { break }
            let imported = try expectName()
            var alias = imported.text
            if skipName("as") { alias = try expectName().text }
            names.append((imported.text, alias, imported.offset))
        } while skipOp(",") && current.kind == .name
        let withContext = try parseContextModifier(default: false)
        try expectBlockEnd()
        return .fromImport(name, names: names, withContext: withContext, at: offset)
    }

    private mutating func parseFilterBlock(_ offset: Int) throws -> Node {
        let filters = try parseFilterChain(requireFirst: true)
        try expectBlockEnd()
        let (body, _) = try parseBlock("filter", offset, until: ["endfilter"])
        try expectBlockEnd()
        return .filterBlock(filters, body, at: offset)
    }

    /// `name(args) | name ...` as written after `{% filter` or `{% set x |`.
    private mutating func parseFilterChain(requireFirst: Bool) throws -> [(String, Arguments, Int)]
    {
        var filters: [(String, Arguments, Int)] = []
        if !requireFirst && !skipOp("|") { return filters }
        repeat {
            let (name, offset) = try parseFilterName()
            let arguments = current.isOp("(") ? try parseArguments() : Arguments()
            filters.append((name, arguments, offset))
        } while skipOp("|")
        return filters
    }

    private mutating func parseWith(_ offset: Int) throws -> Node {
        var assignments: [(AssignTarget, Expr)] = []
        while current.kind != .blockEnd {
            if !assignments.isEmpty { try expectOp(",") }
            let target = try parseAssignTarget()
            try expectOp("=")
            assignments.append((target, try parseExpression()))
        }
        try expectBlockEnd()
        let (body, _) = try parseBlock("with", offset, until: ["endwith"])
        try expectBlockEnd()
        return .with(assignments, body)
    }

    // MARK: - Expressions

    /// An expression, or a tuple of them separated by commas.
    private mutating func parseTuple(withCondition: Bool = true) throws -> Expr {
        let first = withCondition ? try parseExpression() : try parseOr()
        guard current.isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if current.kind == .blockEnd || current.kind == .variableEnd || current.isName("if") {
                break
            }
            items.append(withCondition ? try parseExpression() : try parseOr())
        }
        return .tuple(items)
    }

    /// One more level of nesting; throws past `maximumNesting`. Callers
    /// restore `nesting` when they return.
    private mutating func nest() throws {
        nesting += 1
        guard nesting <= Self.maximumNesting else {
            throw error(
                "expression nested too deeply (more than \(Self.maximumNesting) levels)",
                at: current.offset)
        }
    }

    mutating func parseExpression() throws -> Expr {
        let offset = current.offset
        let value = try parseOr()
        guard skipName("if") else { return value }
        let saved = nesting
        defer { nesting = saved }
        try nest()
        let condition = try parseOr()
        let otherwise = skipName("else") ? try parseExpression() : nil
        return .condition(condition, then: value, else: otherwise, at: offset)
    }

    private mutating func parseOr() throws -> Expr {
        let saved = nesting
        defer { nesting = saved }
        var left = try parseAnd()
        while skipName("or") {
            try nest()
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws -> Expr {
        let saved = nesting
        defer { nesting = saved }
        var left = try parseNot()
        while skipName("and") {
            try nest()
            left = .and(left, try parseNot())
        }
        return left
    }

    private mutating func parseNot() throws -> Expr {
        if current.isName("not") {
            try nest()
            defer { nesting -= 1 }
            let offset = advance().offset
            return .not(try parseNot(), at: offset)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> Expr {
        let offset = current.offset
        let left = try parseMath1()
        var operations: [(String, Expr)] = []
        while true {
            if current.kind == .op, ["==", "!=", "<", ">", "<=", ">="].contains(current.text) {
                let op = advance().text
                operations.append((op, try parseMath1()))
            } else if skipName("in") {
                operations.append(("in", try parseMath1()))
            } else if current.isName("not"), next.isName("in") {
                pos += 2
                operations.append(("not in", try parseMath1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? left : .compare(left, operations, at: offset)
    }

    private mutating func parseMath1() throws -> Expr {
        let saved = nesting
        defer { nesting = saved }
        var left = try parseConcat()
        while current.isOp("+") || current.isOp("-") {
            try nest()
            let op = advance()
            left = .binary(op.text, left, try parseConcat(), at: op.offset)
        }
        return left
    }

    private mutating func parseConcat() throws -> Expr {
        let offset = current.offset
        var items = [try parseMath2()]
        while skipOp("~") { items.append(try parseMath2()) }
        return items.count == 1 ? items[0] : .concat(items, at: offset)
    }

    private mutating func parseMath2() throws -> Expr {
        let saved = nesting
        defer { nesting = saved }
        var left = try parsePow()
        while current.kind == .op, ["*", "/", "//", "%"].contains(current.text) {
            try nest()
            let op = advance()
            left = .binary(op.text, left, try parsePow(), at: op.offset)
        }
        return left
    }

    private mutating func parsePow() throws -> Expr {
        let saved = nesting
        defer { nesting = saved }
        var left = try parseUnary()
        while current.isOp("**") {
            try nest()
            let op = advance()
            left = .binary("**", left, try parseUnary(), at: op.offset)
        }
        return left
    }

    private mutating func parseUnary(withFilters: Bool = true) throws -> Expr {
        let saved = nesting
        defer { nesting = saved }
        try nest()
        var node: Expr
        if current.isOp("-") || current.isOp("+") {
            let op = advance()
            node = .unary(op.text, try parseUnary(withFilters: false), at: op.offset)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        return withFilters ? try parseFilters(node) : node
    }

    private mutating func parsePrimary() throws -> Expr {
        let token = current
        switch token.kind {
        case .name:
            pos += 1
            switch token.text {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(token.text, at: token.offset)
            }
        case .string:
            var text = token.text
            pos += 1
            while current.kind == .string { text += advance().text }
            return .literal(.string(text))
        case .int:
            pos += 1
            return .literal(.int(token.int))
        case .float:
            pos += 1
            return .literal(.double(token.double))
        case .op where token.text == "(":
            pos += 1
            if skipOp(")") { return .tuple([]) }
            let first = try parseExpression()
            if skipOp(")") { return first }
            var items = [first]
            while skipOp(",") {
                if current.isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op where token.text == "[":
            pos += 1
            var items: [Expr] = []
            while !current.isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if current.isOp("]") { break }
                items.append(try parseExpression())
            }
            pos += 1
            return .list(items)
        case .op where token.text == "{":
            pos += 1
            var pairs: [(Expr, Expr)] = []
            while !current.isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if current.isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            pos += 1
            return .dict(pairs)
        default:
            throw unexpected("an expression")
        }
    }

    private mutating func parsePostfix(_ node: Expr) throws -> Expr {
        let saved = nesting
        defer { nesting = saved }
        var node = node
        while true {
            if current.isOp(".") || current.isOp("[") || current.isOp("(") { try nest() }
            if current.isOp(".") {
                let dot = advance()
                if current.kind == .int {
                    node = .item(node, .literal(.int(advance().int)), at: dot.offset)
                } else {
                    let name = try expectName()
                    node = .attribute(node, name.text, at: name.offset)
                }
            } else if current.isOp("[") {
                node = try parseSubscript(node)
            } else if current.isOp("(") {
                let offset = node.offset >= 0 ? node.offset : current.offset
                node = .call(node, try parseArguments(), at: offset)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ node: Expr) throws -> Expr {
        let offset = advance().offset
        var parts: [Expr?] = [nil]
        var isSlice = false
        while !current.isOp("]") {
            if skipOp(":") {
                isSlice = true
                parts.append(nil)
                continue
            }
            guard parts[parts.count - 1] == nil, parts.count <= 3 else { throw unexpected("']'") }
            parts[parts.count - 1] = try parseExpression()
        }
        pos += 1
        guard isSlice else {
            guard let index = parts[0] else { throw error("expected a subscript", at: offset) }
            return .item(node, index, at: offset)
        }
        guard parts.count <= 3 else { throw error("too many ':' in slice", at: offset) }
        while parts.count < 3 { parts.append(nil) }
        return .slice(node, parts[0], parts[1], parts[2], at: offset)
    }

    private mutating func parseArguments() throws -> Arguments {
        try expectOp("(")
        var arguments = Arguments()
        while !current.isOp(")") {
            if !arguments.positional.isEmpty || !arguments.keyword.isEmpty { try expectOp(",") }
            if current.isOp(")") { break }
            if current.kind == .name && next.isOp("=") {
                let name = advance().text
                pos += 1
                arguments.keyword.append((name, try parseExpression()))
            } else {
                if !arguments.keyword.isEmpty {
                    throw error("positional argument follows keyword argument", at: current.offset)
                }
                arguments.positional.append(try parseExpression())
            }
        }
        pos += 1
        return arguments
    }

    private mutating func parseDottedName() throws -> (String, Int) {
        let first = try expectName()
        var name = first.text
        while current.isOp("."), next.kind == .name {
            pos += 1
            name += "." + advance().text
        }
        return (name, first.offset)
    }

    /// A filter's name; unknown filters are errors at parse time, as in Jinja.
    private mutating func parseFilterName() throws -> (String, Int) {
        let (name, offset) = try parseDottedName()
        guard BuiltinFilters.table[name] != nil || conditionalDepth > 0 else {
            let unknown = BuiltinFilters.unknownFilter(name)
            throw error(unknown.message, at: offset, suggestion: unknown.suggestion)
        }
        return (name, offset)
    }

    private mutating func parseFilters(_ node: Expr) throws -> Expr {
        let saved = nesting
        defer { nesting = saved }
        var node = node
        while true {
            if current.isOp("|") || current.isName("is") || current.isOp("(") { try nest() }
            if skipOp("|") {
                let (name, offset) = try parseFilterName()
                let arguments = current.isOp("(") ? try parseArguments() : Arguments()
                node = .filter(node, FilterReference(name), arguments, at: offset)
            } else if current.isName("is") {
                pos += 1
                let negated = skipName("not")
                let (name, offset) = try parseDottedName()
                guard BuiltinTests.table[name] != nil || conditionalDepth > 0 else {
                    throw error(
                        "unknown test '\(name)'", at: offset,
                        suggestion: closestName(to: name, in: BuiltinTests.names))
                }
                var arguments = Arguments()
                if current.isOp("(") {
                    arguments = try parseArguments()
                } else if startsTestArgument(current) {
                    arguments.positional = [try parsePostfix(try parsePrimary())]
                }
                node = .test(node, name, arguments, negated: negated, at: offset)
            } else if current.isOp("(") {
                let offset = current.offset
                node = .call(node, try parseArguments(), at: offset)
            } else {
                return node
            }
        }
    }

    private func startsTestArgument(_ token: Token) -> Bool {
        switch token.kind {
        case .name: return !["else", "or", "and", "if", "in", "not", "is"].contains(token.text)
        case .string, .int, .float: return true
        case .op: return token.text == "[" || token.text == "{"
        default: return false
        }
    }
}
