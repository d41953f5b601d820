#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Expression evaluation with Python's semantics.
extension Renderer {
    func evaluate(_ expr: Expr, in scope: Scope) throws -> RV {
        switch expr {
        case .literal(let value):
            return value
        case .name(let name, let at):
            return scope.lookup(name)
                ?? .undefined(
                    Undefined(reason: .variable(name, scope), source: template.source, offset: at))
        case .list(let items):
            let values = try items.map { try evaluate($0, in: scope) }
            try checkNesting(values, of: items)
            return .list(values)
        case .tuple(let items):
            let values = try items.map { try evaluate($0, in: scope) }
            try checkNesting(values, of: items)
            return .tuple(values)
        case .dict(let pairs):
            var dict = RDict()
            var values: [RV] = []
            for (keyExpr, valueExpr) in pairs {
                let key = try evaluate(keyExpr, in: scope)
                guard let dictKey = key.dictKey else {
                    if case .undefined(let u) = key { throw u.error }
                    throw error("unhashable type: '\(key.typeName)'", at: keyExpr.offset)
                }
                let value = try evaluate(valueExpr, in: scope)
                values.append(value)
                dict[dictKey] = value
            }
            try checkNesting(values, of: pairs.map(\.1))
            return .dict(dict)
        case .attribute(let objectExpr, let name, let at):
            let value = try attribute(name, of: try evaluate(objectExpr, in: scope), at: at)
            if case .undefined = value { return describeMissing(value, of: objectExpr) }
            return value
        case .item(let objectExpr, let keyExpr, let at):
            let value = try item(
                try evaluate(keyExpr, in: scope), of: try evaluate(objectExpr, in: scope), at: at)
            if case .undefined = value { return describeMissing(value, of: objectExpr) }
            return value
        case .slice(let objectExpr, let start, let stop, let step, let at):
            let object = try evaluate(objectExpr, in: scope)
            let bounds = try [start, stop, step].map { try $0.map { try evaluate($0, in: scope) } }
            return try slice(object, bounds[0], bounds[1], bounds[2], at: at)
        case .call(let calleeExpr, let arguments, let at):
            let result = try call(try evaluate(calleeExpr, in: scope), arguments, in: scope, at: at)
            try charge(result, at: at)
            return result
        case .filter(let valueExpr, let filter, let arguments, let at):
            let value = try evaluate(valueExpr, in: scope)
            try charge(value, at: at)  // `sum`, `max`, `length` go through it all
            let args = try evaluate(arguments, in: scope, .filter, filter.name, at: at)
            let result = try BuiltinFilters.run(filter.function, filter.name, value, args)
            try charge(result, at: at)
            return result
        case .test(let valueExpr, let name, let arguments, let negated, let at):
            let value = try evaluate(valueExpr, in: scope)
            let args = try evaluate(arguments, in: scope, .test, name, at: at)
            return .bool(try BuiltinTests.run(name, value, args) != negated)
        case .unary(let op, let operandExpr, let at):
            return try unary(op, try evaluate(operandExpr, in: scope), at: at)
        case .binary(let op, let leftExpr, let rightExpr, let at):
            let left = try evaluate(leftExpr, in: scope)
            let result = try binary(op, left, try evaluate(rightExpr, in: scope), at: at)
            try charge(result, at: at)
            return result
        case .compare(let firstExpr, let operations, let at):
            var left = try evaluate(firstExpr, in: scope)
            for (op, rightExpr) in operations {
                let right = try evaluate(rightExpr, in: scope)
                guard try compare(op, left, right, at: at) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .and(let leftExpr, let rightExpr):
            let left = try evaluate(leftExpr, in: scope)
            return try left.truthy() ? try evaluate(rightExpr, in: scope) : left
        case .or(let leftExpr, let rightExpr):
            let left = try evaluate(leftExpr, in: scope)
            return try left.truthy() ? left : try evaluate(rightExpr, in: scope)
        case .not(let operand, _):
            return .bool(try !evaluate(operand, in: scope).truthy())
        case .condition(let condition, let thenExpr, let elseExpr, let at):
            if try evaluate(condition, in: scope).truthy() {
                return try evaluate(thenExpr, in: scope)
            }
            if let elseExpr { return try evaluate(elseExpr, in: scope) }
            return .undefined(
                Undefined(
                    reason: .hint("the inline if-expression evaluated to false and has no else"),
                    source: template.source, offset: at, lenient: true))
        case .concat(let items, let at):
            var text = ""
            for item in items {
                let part = try evaluate(item, in: scope)
                try sized(at: at) {
                    text += try part.str()
                    try SizeLimit.check(bytes: text.utf8.count, what: "string")
                }
            }
            return .string(text)
        }
    }

    /// A missing key of `env` or of an imported template, with a message
    /// naming what is missing instead of `dict has no key`.
    private func describeMissing(_ value: RV, of objectExpr: Expr) -> RV {
        guard case .undefined(var undefined) = value, case .key(let key, let keys) = undefined.reason,
            case .name(let name, _) = objectExpr
        else { return value }
        if let template = moduleAliases[name] {
            undefined.reason = .described(
                message: "'\(template)' has no macro '\(key)'", key: key, keys: keys)
        } else if let noun = missingKeyNouns[name] {
            undefined.reason = .described(
                message: "\(noun) '\(key)' is not set", key: key, keys: keys)
        } else {
            return value
        }
        return .undefined(undefined)
    }

    func evaluate(
        _ arguments: Arguments, in scope: Scope, _ kind: CallArguments.Kind, _ name: String,
        at offset: Int
    ) throws -> CallArguments {
        var args = CallArguments(kind, name, source: template.source, offset: offset)
        args.positional = try arguments.positional.map { try evaluate($0, in: scope) }
        args.keyword = try arguments.keyword.map { ($0.0, try evaluate($0.1, in: scope)) }
        return args
    }

    func call(_ callee: RV, _ arguments: Arguments, in scope: Scope, at offset: Int) throws -> RV {
        switch callee {
        case .macro(let macro):
            let args = try evaluate(arguments, in: scope, .macro, macro.definition.name, at: offset)
            return try callMacro(macro, args, calledAt: offset)
        case .function(let function):
            let args = try evaluate(arguments, in: scope, .function, function.name, at: offset)
            do {
                // A function can build a deeper value (`dict(k=x)`, `d.items()`).
                let result = try function.call(args)
                try SizeLimit.checkNesting(of: result)
                return result
            } catch let exceeded as SizeLimit.Exceeded {
                throw error(exceeded.message, at: offset)
            }
        case .loop(let state) where state.recursion != nil:
            let args = try evaluate(arguments, in: scope, .function, "loop", at: offset)
            return .string(
                try capture {
                    try renderRecursion(
                        state.recursion!, args, depth0: state.depth0 + 1, at: offset)
                })
        case .undefined(let u):
            throw u.error
        case .loop:
            throw error(
                "loop is not callable: only a loop written 'for ... recursive' calls loop(items)",
                at: offset)
        default:
            throw error("\(callee.typeName) is not callable", at: offset)
        }
    }

    func applyFilter(
        _ name: String, to value: RV, _ arguments: Arguments, in scope: Scope, at offset: Int
    ) throws -> RV {
        let args = try evaluate(arguments, in: scope, .filter, name, at: offset)
        return try BuiltinFilters.run(BuiltinFilters.table[name], name, value, args)
    }

    // MARK: - Members

    func attribute(_ name: String, of object: RV, at offset: Int) throws -> RV {
        switch object {
        case .undefined(let u):
            throw u.error
        case .dict(let dict):
            if let method = Methods.bound(name, to: object, source: template.source, offset: offset)
            {
                return method
            }
            if let value = dict[.string(name)] { return value }
            return .undefined(
                Undefined(
                    reason: .key(name, dict.stringKeys), source: template.source,
                    offset: offset))
        case .loop(let state):
            if let value = loopAttribute(name, state, at: offset) { return value }
        case .macro(let macro):
            if let value = macroAttribute(name, macro.definition) { return value }
        case .group(let group):
            if name == "grouper" { return group.grouper }
            if name == "list" { return .list(group.list) }
            if let method = Methods.bound(name, to: object, source: template.source, offset: offset)
            {
                return method
            }
        case .namespace(let namespace):
            if let value = namespace.values[.string(name)] { return value }
            return .undefined(
                Undefined(
                    reason: .key(name, namespace.values.stringKeys),
                    source: template.source, offset: offset))
        default:
            if let method = Methods.bound(name, to: object, source: template.source, offset: offset)
            {
                return method
            }
        }
        return .undefined(
            Undefined(
                reason: .attribute(name, object.typeName), source: template.source,
                offset: offset))
    }

    /// What Jinja's `Macro` object shows of its definition.
    private func macroAttribute(_ name: String, _ definition: MacroDefinition) -> RV? {
        switch name {
        case "name": return definition.isCallBlockBody ? RV.none : .string(definition.name)
        case "arguments": return .tuple(definition.parameters.map { .string($0.0) })
        case "catch_kwargs": return .bool(definition.takesKwargs)
        case "catch_varargs": return .bool(definition.takesVarargs)
        case "caller": return .bool(definition.takesCaller)
        default: return nil
        }
    }

    private func loopAttribute(_ name: String, _ state: LoopState, at offset: Int) -> RV? {
        let count = state.items.count
        let index0 = state.index0
        switch name {
        case "index": return .int(index0 + 1)
        case "index0": return .int(index0)
        case "revindex": return .int(count - index0)
        case "revindex0": return .int(count - index0 - 1)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == count - 1)
        case "length": return .int(count)
        case "depth": return .int(state.depth0 + 1)
        case "depth0": return .int(state.depth0)
        case "previtem":
            if index0 > 0 { return state.items[index0 - 1] }
            return .undefined(
                Undefined(
                    reason: .hint("there is no previous item"),
                    source: template.source, offset: offset))
        case "nextitem":
            if index0 + 1 < count { return state.items[index0 + 1] }
            return .undefined(
                Undefined(
                    reason: .hint("there is no next item"),
                    source: template.source, offset: offset))
        case "changed":
            return .function(
                Function(name: "loop.changed") { args in
                    let previous = state.lastChanged
                    state.lastChanged = args.positional
                    guard let previous, previous.count == args.positional.count else {
                        return .bool(true)
                    }
                    for (a, b) in zip(previous, args.positional) where try !a.equals(b) {
                        return .bool(true)
                    }
                    return .bool(false)
                })
        case "cycle":
            return .function(
                Function(name: "loop.cycle") { args in
                    guard !args.positional.isEmpty else {
                        throw args.error("no items for cycling given")
                    }
                    return args.positional[index0 % args.positional.count]
                })
        default: return nil
        }
    }

    func item(_ key: RV, of object: RV, at offset: Int) throws -> RV {
        if case .undefined(let u) = key { throw u.error }
        if case .group = object, case .int = key {
            return try item(key, of: object.plainTuple, at: offset)
        }
        switch object {
        case .undefined(let u):
            throw u.error
        case .dict(let dict):
            if let dictKey = key.dictKey, let value = dict[dictKey] { return value }
            if case .string(let name) = key,
                let method = Methods.bound(
                    name, to: object, source: template.source, offset: offset)
            {
                return method
            }
            return .undefined(
                Undefined(
                    reason: .key(try key.str(), dict.stringKeys),
                    source: template.source, offset: offset))
        case .list(let items), .tuple(let items):
            guard case .int(let index) = key else {
                if case .string(let name) = key {
                    return try attribute(name, of: object, at: offset)
                }
                throw error("list indices must be integers, not \(key.typeName)", at: offset)
            }
            let resolved = index < 0 ? index + items.count : index
            guard resolved >= 0 && resolved < items.count else {
                return .undefined(
                    Undefined(reason: .index(index), source: template.source, offset: offset))
            }
            return items[resolved]
        case .string(let text):
            guard case .int(let index) = key else {
                if case .string(let name) = key {
                    return try attribute(name, of: object, at: offset)
                }
                throw error("string indices must be integers, not \(key.typeName)", at: offset)
            }
            let characters = Array(text.unicodeScalars)
            let resolved = index < 0 ? index + characters.count : index
            guard resolved >= 0 && resolved < characters.count else {
                return .undefined(
                    Undefined(reason: .index(index), source: template.source, offset: offset))
            }
            return .string(String(characters[resolved]))
        default:
            if case .string(let name) = key { return try attribute(name, of: object, at: offset) }
            return .undefined(
                Undefined(
                    reason: .hint("\(object.typeName) is not subscriptable"),
                    source: template.source, offset: offset))
        }
    }

    func slice(_ object: RV, _ start: RV?, _ stop: RV?, _ step: RV?, at offset: Int) throws -> RV {
        func bound(_ value: RV?) throws -> Int? {
            guard let value else { return nil }
            switch value {
            case .none: return nil
            case .int(let i): return i
            case .bool(let b): return b ? 1 : 0
            case .undefined(let u): throw u.error
            default: throw error("slice indices must be integers or none", at: offset)
            }
        }
        let step = try bound(step) ?? 1
        guard step != 0 else { throw error("slice step cannot be zero", at: offset) }
        switch object.plainTuple {
        case .list(let items):
            return .list(pythonSlice(items, try bound(start), try bound(stop), step))
        case .tuple(let items):
            return .tuple(pythonSlice(items, try bound(start), try bound(stop), step))
        case .string(let text):
            let scalars = pythonSlice(
                Array(text.unicodeScalars), try bound(start), try bound(stop), step)
            var result = String.UnicodeScalarView()
            result.append(contentsOf: scalars)
            return .string(String(result))
        case .undefined(let u):
            throw u.error
        default:
            throw error("\(object.typeName) cannot be sliced", at: offset)
        }
    }

    // MARK: - Operators

    private func unary(_ op: String, _ value: RV, at offset: Int) throws -> RV {
        switch value {
        case .undefined(let u): throw u.error
        case .int(let i):
            if op == "+" { return value }
            guard i != Int.min else { throw error("integer too large", at: offset) }
            return .int(-i)
        case .bool(let b): return .int(op == "-" ? (b ? -1 : 0) : (b ? 1 : 0))
        case .double(let d): return .double(op == "-" ? -d : d)
        default: throw error("bad operand type for unary \(op): '\(value.typeName)'", at: offset)
        }
    }

    func binary(_ op: String, _ left: RV, _ right: RV, at offset: Int) throws -> RV {
        if case .undefined(let u) = left { throw u.error }
        if case .undefined(let u) = right { throw u.error }
        let unsupported = error(
            "unsupported operand types for \(op): '\(left.typeName)' and '\(right.typeName)'",
            at: offset)
        switch (op, left.plainTuple, right.plainTuple) {
        case ("+", .string(let a), .string(let b)):
            try sized(at: offset) {
                try SizeLimit.check(bytes: a.utf8.count + b.utf8.count, what: "string")
            }
            return .string(a + b)
        case ("+", .list(let a), .list(let b)):
            try sized(at: offset) { try checkItems(a.count + b.count, what: "list") }
            return .list(a + b)
        case ("+", .tuple(let a), .tuple(let b)):
            try sized(at: offset) { try checkItems(a.count + b.count, what: "tuple") }
            return .tuple(a + b)
        case ("*", .string(let s), .int(let n)), ("*", .int(let n), .string(let s)):
            try sized(at: offset) {
                try SizeLimit.checkRepetition(s.utf8.count, times: n, what: "string repetition")
            }
            return .string(String(repeating: s, count: max(0, n)))
        case ("*", .list(let items), .int(let n)), ("*", .int(let n), .list(let items)):
            try sized(at: offset) { try checkListRepetition(items, n) }
            return .list(Array([[RV]](repeating: items, count: max(0, n)).joined()))
        case ("%", .string(let format), _):
            let values: [RV]
            if case .tuple(let items) = right.plainTuple {
                values = items
            } else {
                values = [right]
            }
            return .string(
                try PercentFormat.format(
                    format, values, keyword: right,
                    error: { self.error($0, at: offset) }))
        default: break
        }
        if let a = integer(left), let b = integer(right) {
            return try integerArithmetic(op, a, b, at: offset)
        }
        guard let a = left.number, let b = right.number else { throw unsupported }
        switch op {
        case "+": return .double(a + b)
        case "-": return .double(a - b)
        case "*": return .double(a * b)
        case "/", "//", "%":
            guard b != 0 else { throw error("division by zero", at: offset) }
            if op == "/" { return .double(a / b) }
            if op == "//" { return .double((a / b).rounded(.down)) }
            let remainder = fmod(a, b)
            return .double(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
        case "**": return .double(pow(a, b))
        default: throw unsupported
        }
    }

    /// Refuses a list, tuple or dict literal whose `values` would nest more
    /// than `SizeLimit.maximumNesting` levels, at the first of its item
    /// expressions that has a position (a literal has none of its own).
    private func checkNesting(_ values: [RV], of items: [Expr]) throws {
        do {
            try SizeLimit.checkNesting(of: values)
        } catch let exceeded as SizeLimit.Exceeded {
            guard let offset = items.lazy.map(\.offset).first(where: { $0 >= 0 }) else {
                throw exceeded
            }
            throw TemplateError(
                position: template.source.position(of: offset), message: exceeded.message)
        }
    }

    /// Runs a size check, giving its failure the position `offset`.
    func sized(at offset: Int, _ check: () throws -> Void) throws {
        do {
            try check()
        } catch let exceeded as SizeLimit.Exceeded {
            throw TemplateError(
                position: template.source.position(of: offset), message: exceeded.message)
        }
    }

    private func checkItems(_ count: Int, what: String) throws {
        guard count > SizeLimit.maximumItems else { return }
        throw SizeLimit.Exceeded(
            message: "\(what) of \(count) items is too long (the limit is \(SizeLimit.maximumItems))")
    }

    /// A list repetition may make at most `SizeLimit.maximumItems` items, and
    /// the strings in it at most `SizeLimit.maximumBytes` bytes.
    private func checkListRepetition(_ items: [RV], _ count: Int) throws {
        guard count > 0, !items.isEmpty else { return }
        guard let total = SizeLimit.product(items.count, count), total <= SizeLimit.maximumItems
        else {
            let total = SizeLimit.product(items.count, count).map(String.init)
                ?? "\(items.count) × \(count)"
            throw SizeLimit.Exceeded(
                message: "list repetition of \(total) items is too large"
                    + " (the limit is \(SizeLimit.maximumItems))")
        }
        var bytes = 0
        for case .string(let s) in items { bytes += s.utf8.count }
        try SizeLimit.checkRepetition(bytes, times: count, what: "list repetition")
    }

    private func integer(_ value: RV) -> Int? {
        switch value {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    private func integerArithmetic(_ op: String, _ a: Int, _ b: Int, at offset: Int) throws -> RV {
        let overflow = error("integer too large", at: offset)
        switch op {
        case "+":
            let (value, over) = a.addingReportingOverflow(b)
            if over { throw overflow }
            return .int(value)
        case "-":
            let (value, over) = a.subtractingReportingOverflow(b)
            if over { throw overflow }
            return .int(value)
        case "*":
            let (value, over) = a.multipliedReportingOverflow(by: b)
            if over { throw overflow }
            return .int(value)
        case "/":
            guard b != 0 else { throw error("division by zero", at: offset) }
            return .double(Double(a) / Double(b))
        case "//", "%":
            guard b != 0 else { throw error("integer division or modulo by zero", at: offset) }
            if b == -1 {
                // Python: x % -1 is 0; Int.min // -1 is 2**63, past Int.
                if op == "%" { return .int(0) }
                if a == Int.min { throw overflow }
            }
            var quotient = a / b
            var remainder = a % b
            if remainder != 0 && (remainder < 0) != (b < 0) {
                quotient -= 1
                remainder += b
            }
            return .int(op == "//" ? quotient : remainder)
        case "**":
            if b < 0 { return .double(pow(Double(a), Double(b))) }
            var result = 1
            for _ in 0..<min(b, 64) {
                let (value, over) = result.multipliedReportingOverflow(by: a)
                if over { throw overflow }
                result = value
            }
            if b > 64 && abs(a) > 1 { throw overflow }
            if b > 64 && a == -1 { return .int(b % 2 == 0 ? 1 : -1) }
            return .int(result)
        default:
            throw error("unknown operator \(op)", at: offset)
        }
    }

    func compare(_ op: String, _ left: RV, _ right: RV, at offset: Int) throws -> Bool {
        switch op {
        case "==": return try left.equals(right)
        case "!=": return try !left.equals(right)
        case "in", "not in":
            let contained = try contains(right, left, at: offset)
            return op == "in" ? contained : !contained
        default:
            guard let order = try left.compare(right) else {
                throw error(
                    "'\(op)' is not supported between \(left.typeName) and \(right.typeName)",
                    at: offset)
            }
            switch op {
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            default: return order >= 0
            }
        }
    }

    func contains(_ container: RV, _ element: RV, at offset: Int) throws -> Bool {
        switch container.plainTuple {
        case .undefined(let u): throw u.error
        case .string(let text):
            guard case .string(let part) = element else {
                if case .undefined(let u) = element { throw u.error }
                throw error("'in <string>' requires a string, not \(element.typeName)", at: offset)
            }
            return part.isEmpty || text.contains(part)
        case .list(let items), .tuple(let items):
            for item in items where try item.equals(element) { return true }
            return false
        case .dict(let dict):
            if case .undefined(let u) = element { throw u.error }
            guard let key = element.dictKey else { return false }
            return dict[key] != nil
        default:
            throw error("\(container.typeName) is not a container", at: offset)
        }
    }
}

/// Python's `sequence[start:stop:step]`.
func pythonSlice<T>(_ items: [T], _ start: Int?, _ stop: Int?, _ step: Int) -> [T] {
    let count = items.count
    func clamp(_ value: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
        guard var value else { return fallback }
        if value < 0 { value += count }
        return min(max(value, low), high)
    }
    var result: [T] = []
    if step > 0 {
        var i = clamp(start, 0, low: 0, high: count)
        let end = clamp(stop, count, low: 0, high: count)
        while i < end {
            result.append(items[i])
            i += step
        }
    } else {
        var i = clamp(start, count - 1, low: -1, high: count - 1)
        let end = clamp(stop, -1, low: -1, high: count - 1)
        while i > end {
            result.append(items[i])
            i += step
        }
    }
    return result
}
