/// The functions every template sees: `range`, `dict` and `namespace`.
enum Globals {
    /// The largest list `range` makes, so a typo cannot exhaust memory.
    static let maximumRange = 10_000_000

    static func scope() -> Scope {
        Scope(
            parent: nil,
            vars: [
                "range": .function(Function(name: "range", call: range)),
                "dict": .function(Function(name: "dict", call: dict)),
                "cycler": .function(Function(name: "cycler", call: cycler)),
                "joiner": .function(Function(name: "joiner", call: joiner)),
                "lipsum": .function(
                    Function(name: "lipsum") { args in
                        throw args.error("function 'lipsum' is not supported")
                    }),
                "namespace": .function(
                    Function(name: "namespace") { args in
                        guard case .dict(let values) = try dict(args) else { return .none }
                        return .namespace(Namespace(values: values))
                    }),
            ])
    }

    /// TODO(#2): `range` gives a list, so `{{ range(3) }}` prints `[0, 1, 2]`
    /// where Jinja prints `range(0, 3)`; loops and filters behave the same.
    private static func range(_ args: CallArguments) throws -> RV {
        guard !args.positional.isEmpty, args.positional.count <= 3, args.keyword.isEmpty else {
            throw args.error("range() takes 1 to 3 arguments, \(args.positional.count) given")
        }
        let numbers = try args.positional.map { try args.int($0, "range", default: 0) }
        let start = numbers.count == 1 ? 0 : numbers[0]
        let stop = numbers.count == 1 ? numbers[0] : numbers[1]
        let step = numbers.count == 3 ? numbers[2] : 1
        guard step != 0 else { throw args.error("range() step must not be zero") }
        // In Double: `stop - start` can pass Int for far-apart bounds.
        let span = step > 0 ? Double(stop) - Double(start) : Double(start) - Double(stop)
        let magnitude = step > 0 ? Double(step) : -Double(step)
        let estimate = span > 0 ? (span / magnitude).rounded(.up) : 0
        guard estimate <= Double(maximumRange) + 1 else {
            throw args.error(
                "range() of more than \(maximumRange) items is too long (the limit is \(maximumRange))")
        }
        let count =
            step > 0
            ? (stop > start ? (stop - start + step - 1) / step : 0)
            : (start > stop ? (start - stop - step - 1) / -step : 0)
        guard count <= maximumRange else {
            throw args.error("range() of \(count) items is too long (the limit is \(maximumRange))")
        }
        return .list((0..<count).map { .int(start + $0 * step) })
    }

    /// Jinja's `cycler(*items)`: `next()` gives the items in turn, `current`
    /// the one `next()` gives next, `reset()` starts again, `items` is the tuple.
    /// A namespace holds them, so `c.current` reads as an attribute.
    /// TODO(#2): being a namespace, a cycler takes `{% set c.x = 1 %}` (Jinja
    /// refuses it) and prints as a namespace, not as Jinja's cycler object.
    private static func cycler(_ args: CallArguments) throws -> RV {
        guard args.keyword.isEmpty else {
            throw args.error("cycler() takes no keyword arguments")
        }
        let items = args.positional
        guard let first = items.first else {
            throw args.error("at least one item has to be provided")
        }
        var values = RDict()
        values[.string("items")] = .tuple(items)
        values[.string("current")] = first
        let cycler = Namespace(values: values)
        var position = 0
        // The functions hold the namespace weakly (it holds them); the
        // position is theirs, so `cycler(1, 2).next()` works on a cycler
        // nothing else holds.
        values[.string("next")] = .function(
            Function(name: "next") { [weak cycler] call in
                _ = try call.bind([])
                let value = items[position]
                position = (position + 1) % items.count
                cycler?.values[.string("current")] = items[position]
                return value
            })
        values[.string("reset")] = .function(
            Function(name: "reset") { [weak cycler] call in
                _ = try call.bind([])
                position = 0
                cycler?.values[.string("current")] = items[0]
                return .none
            })
        cycler.values = values
        return .namespace(cycler)
    }

    /// Jinja's `joiner(sep=', ')`: a function giving '' the first time it is
    /// called and `sep` after that.
    private static func joiner(_ args: CallArguments) throws -> RV {
        let bound = try args.bind(["sep"])
        let separator = try bound[0].map { try $0.str() } ?? ", "
        var used = false
        return .function(
            Function(name: "joiner") { call in
                _ = try call.bind([])
                if used { return .string(separator) }
                used = true
                return .string("")
            })
    }

    private static func dict(_ args: CallArguments) throws -> RV {
        var result = RDict()
        for item in args.positional {
            guard case .dict(let other) = item else { throw args.error("dict() takes a dict") }
            for (key, value) in other.items { result[key] = value }
        }
        for (name, value) in args.keyword { result[.string(name)] = value }
        return .dict(result)
    }
}
