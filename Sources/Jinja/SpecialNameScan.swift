/// Finds which of a macro's special names (`varargs`, `kwargs`, `caller`)
/// its body reads before assigning them, as Jinja decides at compile time
/// whether a macro takes extra arguments or a call block.
///
/// Statements are visited in the order they are written; a name assigned
/// (`set`, a `for` or `with` target) before any read is the template's own
/// variable, not the special one.
struct SpecialNameScan {
    private var candidates: Set<String> = ["varargs", "kwargs", "caller"]
    private var used: Set<String> = []

    /// - Parameter parameters: the macro's own parameters, which shadow the special names.
    init(_ parameters: [String]) {
        candidates.subtract(parameters)
    }

    mutating func scan(_ nodes: [Node]) -> Set<String> {
        visit(nodes)
        return used
    }

    private mutating func visit(_ nodes: [Node]) {
        for node in nodes {
            guard !candidates.isEmpty else { return }
            visit(node)
        }
    }

    private mutating func visit(_ node: Node) {
        switch node {
        case .text: break
        case .output(let expr, _): visit(expr)
        case .set(let target, let expr, _):
            visit(expr)
            assign(target)
        case .setBlock(let target, let body, let filters, _):
            visit(body)
            for filter in filters { visit(filter.1) }
            assign(target)
        case .ifChain(let branches, let elseBody):
            for (condition, body) in branches {
                visit(condition)
                visit(body)
            }
            visit(elseBody)
        case .forLoop(let loop):
            visit(loop.iterable)
            assign(loop.target)
            if let condition = loop.condition { visit(condition) }
            visit(loop.body)
            visit(loop.elseBody)
        case .macro(let definition):
            for case let (_, defaultValue?) in definition.parameters { visit(defaultValue) }
            visit(definition.body)
        case .include(let expr, _, _, _), .importAs(let expr, _, _, _),
            .fromImport(let expr, _, _, _):
            visit(expr)
        case .filterBlock(let filters, let body, _):
            for filter in filters { visit(filter.1) }
            visit(body)
        case .with(let assignments, let body):
            for (target, expr) in assignments {
                visit(expr)
                assign(target)
            }
            visit(body)
        case .extends(let expr, _): visit(expr)
        case .block: break  // a block is its own scope, as in Jinja
        case .callBlock(let caller, let call, _):
            visit(call)
            for case let (_, defaultValue?) in caller.parameters { visit(defaultValue) }
            visit(caller.body)
        }
    }

    private mutating func visit(_ arguments: Arguments) {
        for expr in arguments.positional { visit(expr) }
        for (_, expr) in arguments.keyword { visit(expr) }
    }

    private mutating func visit(_ expr: Expr) {
        switch expr {
        case .literal: break
        case .name(let name, _):
            if candidates.remove(name) != nil { used.insert(name) }
        case .list(let items), .tuple(let items), .concat(let items, _):
            for item in items { visit(item) }
        case .dict(let pairs):
            for (key, value) in pairs {
                visit(key)
                visit(value)
            }
        case .attribute(let object, _, _): visit(object)
        case .item(let object, let key, _):
            visit(object)
            visit(key)
        case .slice(let object, let start, let stop, let step, _):
            visit(object)
            for case let bound? in [start, stop, step] { visit(bound) }
        case .call(let callee, let arguments, _):
            visit(callee)
            visit(arguments)
        case .filter(let value, _, let arguments, _), .test(let value, _, let arguments, _, _):
            visit(value)
            visit(arguments)
        case .unary(_, let operand, _), .not(let operand, _): visit(operand)
        case .binary(_, let left, let right, _), .and(let left, let right),
            .or(let left, let right):
            visit(left)
            visit(right)
        case .compare(let first, let operations, _):
            visit(first)
            for (_, operand) in operations { visit(operand) }
        case .condition(let condition, let then, let otherwise, _):
            visit(then)
            visit(condition)
            if let otherwise { visit(otherwise) }
        }
    }

    /// A name assigned before it is read is no longer a candidate.
    private mutating func assign(_ target: AssignTarget) {
        switch target {
        case .name(let name): candidates.remove(name)
        case .tuple(let targets): for inner in targets { assign(inner) }
        case .attribute: break
        }
    }
}
