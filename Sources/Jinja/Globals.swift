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
