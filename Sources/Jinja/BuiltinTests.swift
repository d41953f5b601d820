/// Jinja's built-in tests (`x is defined`, `n is divisibleby 3`).
enum BuiltinTests {
    typealias Test = @Sendable (RV, CallArguments) throws -> Bool

    static let table: [String: Test] = [
        "defined": { v, a in
            try none(a)
            return !v.isUndefined
        },
        "undefined": { v, a in
            try none(a)
            return v.isUndefined
        },
        "none": { v, a in
            try none(a)
            return v.isNone
        },
        "number": { v, a in
            try none(a)
            switch v {
            case .int, .double, .bool: return true
            default: return false
            }
        },
        "integer": { v, a in
            try none(a)
            if case .int = v { return true }
            return false
        },
        "float": { v, a in
            try none(a)
            if case .double = v { return true }
            return false
        },
        "boolean": { v, a in
            try none(a)
            if case .bool = v { return true }
            return false
        },
        "true": { v, a in
            try none(a)
            if case .bool(true) = v { return true }
            return false
        },
        "false": { v, a in
            try none(a)
            if case .bool(false) = v { return true }
            return false
        },
        "string": { v, a in
            try none(a)
            if case .string = v { return true }
            return false
        },
        "mapping": { v, a in
            try none(a)
            if case .dict = v { return true }
            return false
        },
        "iterable": { v, a in
            try none(a)
            return try v.iterate() != nil
        },
        "sequence": { v, a in
            try none(a)
            return try v.iterate() != nil
        },
        "callable": { v, a in
            try none(a)
            switch v {
            case .macro, .function: return true
            case .loop(let state): return state.recursion != nil
            default: return false
            }
        },
        "even": { v, a in
            try none(a)
            return try modulo(v, 2, a) == 0
        },
        "odd": { v, a in
            try none(a)
            return try modulo(v, 2, a) == 1
        },
        "divisibleby": { v, a in
            let bound = try a.bind(["num"])
            return try modulo(v, try a.int(bound[0], "num", default: 1), a) == 0
        },
        "lower": { v, a in
            try none(a)
            return try v.str() == v.str().lowercased()
        },
        "upper": { v, a in
            try none(a)
            return try v.str() == v.str().uppercased()
        },
        "sameas": { v, a in try identical(v, try one(a)) },
        "eq": { v, a in try v.equals(try one(a)) }, "equalto": { v, a in try v.equals(try one(a)) },
        "==": { v, a in try v.equals(try one(a)) },
        "ne": { v, a in try !v.equals(try one(a)) }, "!=": { v, a in try !v.equals(try one(a)) },
        "lt": { v, a in try order(v, a) < 0 }, "lessthan": { v, a in try order(v, a) < 0 },
        "<": { v, a in try order(v, a) < 0 },
        "le": { v, a in try order(v, a) <= 0 }, "<=": { v, a in try order(v, a) <= 0 },
        "gt": { v, a in try order(v, a) > 0 }, "greaterthan": { v, a in try order(v, a) > 0 },
        ">": { v, a in try order(v, a) > 0 },
        "ge": { v, a in try order(v, a) >= 0 }, ">=": { v, a in try order(v, a) >= 0 },
        "in": { v, a in
            let container = try one(a)
            switch container {
            case .string(let text): return try text.contains(v.str())
            case .dict(let dict): return v.dictKey.map { dict[$0] != nil } ?? false
            default:
                guard let items = try container.iterate() else {
                    throw a.error("\(container.typeName) is not a container")
                }
                return try items.contains { try $0.equals(v) }
            }
        },
        "filter": { v, a in
            try none(a)
            return BuiltinFilters.table[try v.str()] != nil
        },
        "test": { v, a in
            try none(a)
            return table[try v.str()] != nil
        },
        "escaped": { _, a in
            try none(a)
            return false
        },
    ]

    static var names: [String] { table.keys.sorted() }

    /// Runs test `name`; only `defined` and `undefined` accept an undefined value.
    static func run(_ name: String, _ value: RV, _ args: CallArguments) throws -> Bool {
        guard let test = table[name] else {
            throw args.error("unknown test '\(name)'", suggestion: closestName(to: name, in: names))
        }
        if case .undefined(let u) = value, name != "defined", name != "undefined" {
            if u.lenient { return try test(.string(""), args) }
            throw u.error
        }
        return try test(value, args)
    }

    private static func none(_ args: CallArguments) throws { _ = try args.bind([]) }

    private static func one(_ args: CallArguments) throws -> RV {
        let bound = try args.bind(["other"])
        guard let value = bound[0] else {
            throw args.error("\(args.what) needs a value to compare with")
        }
        return value
    }

    private static func order(_ value: RV, _ args: CallArguments) throws -> Int {
        let other = try one(args)
        guard let order = try value.compare(other) else {
            throw args.error("cannot compare \(value.typeName) with \(other.typeName)")
        }
        return order
    }

    private static func identical(_ a: RV, _ b: RV) throws -> Bool {
        switch (a, b) {
        case (.none, .none): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y && x >= -5 && x <= 256
        case (.macro(let x), .macro(let y)): return x === y
        default: return false
        }
    }

    private static func modulo(_ value: RV, _ divisor: Int, _ args: CallArguments) throws -> Int {
        guard divisor != 0 else { throw args.error("integer division or modulo by zero") }
        switch value {
        case .int(let i):
            let remainder = i % divisor
            return remainder != 0 && (remainder < 0) != (divisor < 0)
                ? remainder + divisor : remainder
        case .bool(let b): return (b ? 1 : 0) % divisor
        case .double(let d):
            let remainder = d.truncatingRemainder(dividingBy: Double(divisor))
            return remainder == 0 ? 0 : (remainder == 1 || remainder == -1 ? 1 : 2)
        default:
            throw args.error("\(args.what) expects a number, not \(value.typeName)")
        }
    }
}
