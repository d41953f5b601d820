/// An expression of the template language; `at` is the byte offset it was written at.
indirect enum Expr {
    case literal(RV)
    case name(String, at: Int)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    case attribute(Expr, String, at: Int)
    case item(Expr, Expr, at: Int)
    case slice(Expr, Expr?, Expr?, Expr?, at: Int)
    case call(Expr, Arguments, at: Int)
    case filter(Expr, FilterReference, Arguments, at: Int)
    case test(Expr, String, Arguments, negated: Bool, at: Int)
    case unary(String, Expr, at: Int)
    case binary(String, Expr, Expr, at: Int)
    case compare(Expr, [(String, Expr)], at: Int)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case not(Expr, at: Int)
    case condition(Expr, then: Expr, else: Expr?, at: Int)
    case concat([Expr], at: Int)

    /// Where the expression starts, for positions of output and errors.
    var offset: Int {
        switch self {
        case .literal, .list, .tuple, .dict: return -1
        case .name(_, let at), .attribute(_, _, let at), .item(_, _, let at),
            .slice(_, _, _, _, let at), .call(_, _, let at), .filter(_, _, _, let at),
            .test(_, _, _, _, let at), .unary(_, _, let at), .binary(_, _, _, let at),
            .compare(_, _, let at), .not(_, let at), .condition(_, _, _, let at),
            .concat(_, let at):
            return at
        case .and(let left, _), .or(let left, _): return left.offset
        }
    }
}

/// A filter named in an expression, resolved once at parse time; nil when
/// unknown (allowed inside `{% if %}`, an error when evaluated).
struct FilterReference {
    let name: String
    let function: BuiltinFilters.Filter?

    init(_ name: String) {
        self.name = name
        self.function = BuiltinFilters.table[name]
    }
}

/// The arguments written at a call, filter or test.
struct Arguments {
    var positional: [Expr] = []
    var keyword: [(String, Expr)] = []
}

/// The target of `set`, `for` or `with`: a name or a tuple of names to unpack into.
indirect enum AssignTarget {
    case name(String)
    case tuple([AssignTarget])
    /// `ns.attr` in `{% set %}`: only a namespace takes it.
    case attribute(String, String, at: Int)
}

/// A statement of a parsed template.
indirect enum Node {
    /// Literal text: a byte range of the template source.
    case text(start: Int, end: Int)
    case output(Expr, at: Int)
    case set(AssignTarget, Expr, at: Int)
    case setBlock(AssignTarget, [Node], filters: [(String, Arguments, Int)], at: Int)
    case ifChain([(Expr, [Node])], else: [Node])
    case forLoop(ForLoop)
    case macro(MacroDefinition)
    case include(Expr, ignoreMissing: Bool, withContext: Bool, at: Int)
    case importAs(Expr, name: String, withContext: Bool, at: Int)
    case fromImport(Expr, names: [(String, String, Int)], withContext: Bool, at: Int)
    case filterBlock([(String, Arguments, Int)], [Node], at: Int)
    case with([(AssignTarget, Expr)], [Node])
    /// `{% call(params) macro(args) %}body{% endcall %}`: the body becomes the
    /// macro's `caller`.
    case callBlock(caller: MacroDefinition, call: Expr, at: Int)
    /// `{% extends "base.j2" %}`: this template fills the blocks of another.
    case extends(Expr, at: Int)
    /// `{% block name %}`: a part a template that extends this one may replace.
    case block(BlockDefinition)
}

/// A `{% block %}` as written.
final class BlockDefinition {
    let name: String
    let body: [Node]
    /// `scoped`: the body sees the variables around the block, not only the template's own.
    let isScoped: Bool
    /// `required`: a template extending this one must define the block.
    let isRequired: Bool
    /// Byte offset of the `{%` that opens the block.
    let offset: Int

    init(name: String, body: [Node], isScoped: Bool, isRequired: Bool, offset: Int) {
        self.name = name
        self.body = body
        self.isScoped = isScoped
        self.isRequired = isRequired
        self.offset = offset
    }
}

/// A `{% for %}` statement.
final class ForLoop {
    let target: AssignTarget
    let iterable: Expr
    let condition: Expr?
    let body: [Node]
    let elseBody: [Node]
    /// `{% for ... recursive %}`: the body may call `loop(items)` to run
    /// itself over nested items, one level deeper.
    let isRecursive: Bool
    let offset: Int

    init(
        target: AssignTarget, iterable: Expr, condition: Expr?, body: [Node], elseBody: [Node],
        isRecursive: Bool, offset: Int
    ) {
        self.target = target
        self.iterable = iterable
        self.condition = condition
        self.body = body
        self.elseBody = elseBody
        self.isRecursive = isRecursive
        self.offset = offset
    }
}

/// A `{% macro %}` definition as written; a `Macro` value binds it to a scope.
final class MacroDefinition {
    let name: String
    let parameters: [(String, Expr?)]
    let body: [Node]
    /// Byte offset of the `{%` that opens the definition.
    let offset: Int
    /// Whether the body reads `varargs`, `kwargs` or `caller`. As in Jinja,
    /// only then does the macro take extra positional arguments, extra
    /// keyword arguments, or a `{% call %}` body.
    let takesVarargs: Bool
    let takesKwargs: Bool
    let takesCaller: Bool
    /// The body of a `{% call %}` block, which is called as `caller`.
    let isCallBlockBody: Bool

    init(
        name: String, parameters: [(String, Expr?)], body: [Node], offset: Int,
        isCallBlockBody: Bool = false
    ) {
        self.name = name
        self.isCallBlockBody = isCallBlockBody
        self.parameters = parameters
        self.body = body
        self.offset = offset
        var scan = SpecialNameScan(parameters.map(\.0))
        let used = scan.scan(body)
        takesVarargs = used.contains("varargs")
        takesKwargs = used.contains("kwargs")
        takesCaller = used.contains("caller")
    }
}

/// A parsed template: its source and statements; immutable once parsed.
final class Template: @unchecked Sendable {
    let source: SourceText
    let nodes: [Node]
    /// Every `{% block %}` of the template, nested ones included, by name.
    let blocks: [String: BlockDefinition]

    init(source: SourceText, nodes: [Node], blocks: [String: BlockDefinition] = [:]) {
        self.source = source
        self.nodes = nodes
        self.blocks = blocks
    }

    var name: String { source.name }
}
