/// The most text one rendering may produce, and the checks that keep every
/// size-multiplying operation (repetition, padding widths, joins, repr of
/// nested lists) under it, so a typo fails with a message instead of
/// exhausting memory.
enum SizeLimit {
    /// Bytes of rendered text one file may produce, and the largest string
    /// one operation may make: 64 MiB. Task-local so tests can lower it and
    /// stay fast; hot loops read it once.
    @TaskLocal static var maximumBytes = 64 << 20
    /// The most items a list repetition or batch may make; as for `range`.
    static let maximumItems = Globals.maximumRange
    /// `64 MiB`, for messages.
    static var described: String {
        let limit = maximumBytes
        return limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit) bytes"
    }

    /// A size limit passed where the position is not at hand; the renderer
    /// turns it into a `TemplateError` at the statement that caused it.
    struct Exceeded: Error {
        var message: String
    }

    /// `a * b`, or nil when it overflows.
    static func product(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    /// Throws unless `count` units of `length` bytes stay within the limit;
    /// `what` names the operation (`string repetition`).
    static func checkRepetition(_ length: Int, times count: Int, what: String) throws {
        guard count > 0, length > 0 else { return }
        guard let total = product(length, count) else {
            throw Exceeded(
                message: "\(what) of \(length) × \(count) characters is too large"
                    + " (the limit is \(described))")
        }
        guard total <= maximumBytes else {
            throw Exceeded(
                message: "\(what) of \(total) characters is too large (the limit is \(described))")
        }
    }

    /// Throws unless a result of `bytes` bytes stays within the limit.
    static func check(bytes: Int, what: String, limit: Int = maximumBytes) throws {
        guard bytes > limit else { return }
        throw Exceeded(
            message: "\(what) of \(bytes) characters is too large (the limit is \(described))")
    }

    /// Throws unless a padding or indentation `width` stays within the limit.
    static func check(width: Int, what: String) throws {
        guard width > maximumBytes else { return }
        throw Exceeded(message: "\(what) width \(width) is too large (the limit is \(described))")
    }
}

extension SizeLimit {
    /// The most levels lists, tuples and dicts may nest inside one another.
    /// Printing, serializing, comparing and freeing a value walk it
    /// recursively, so `{% set ns.v = [ns.v] %}` in a long loop would
    /// otherwise overflow the stack. Real data nests a handful of levels.
    static let maximumNesting = 100

    /// The failure of `checkNesting` and of the walks that print values.
    static var nestedTooDeeply: Exceeded {
        Exceeded(
            message: "lists and dicts nested too deeply (more than \(maximumNesting) levels)")
    }

    /// Throws unless `value` nests at most `maximumNesting` levels.
    static func checkNesting(of value: RV) throws {
        guard value.isContainer else { return }
        try checkNesting(pending: [(value, 1)])
    }

    /// Throws unless a list, tuple or dict made of `items` nests at most
    /// `maximumNesting` levels.
    static func checkNesting(of items: [RV]) throws {
        var pending: [(value: RV, level: Int)] = []
        for item in items where item.isContainer { pending.append((item, 2)) }
        try checkNesting(pending: pending)
    }

    /// Walks only the lists, dicts and namespaces in `pending`, on an
    /// explicit stack. Values share storage (`[x, x]` doubles a value's
    /// size at no cost), so each storage is walked again only when reached
    /// at a deeper level than before: at most `maximumNesting` times, never
    /// once per path. A namespace holding itself is too deep, not endless.
    private static func checkNesting(pending: [(value: RV, level: Int)]) throws {
        var pending = pending
        var deepestSeen: [UnsafeRawPointer: Int] = [:]
        func push(_ values: some Sequence<RV>, _ level: Int) {
            for item in values where item.isContainer { pending.append((item, level)) }
        }
        func firstVisit(_ storage: UnsafeRawPointer?, at level: Int) -> Bool {
            guard let storage else { return false }
            if let seen = deepestSeen[storage], seen >= level { return false }
            deepestSeen[storage] = level
            return true
        }
        while let (value, level) = pending.popLast() {
            guard level <= maximumNesting else { throw nestedTooDeeply }
            switch value {
            case .list(let inner), .tuple(let inner):
                if firstVisit(inner.storageIdentity, at: level) { push(inner, level + 1) }
            case .group(let group):
                let identity = UnsafeRawPointer(Unmanaged.passUnretained(group).toOpaque())
                if firstVisit(identity, at: level) { push(group.items, level + 1) }
            case .dict(let dict):
                if firstVisit(dict.storageIdentity, at: level) {
                    push(dict.valuesInAnyOrder, level + 1)
                }
            case .namespace(let namespace):
                let identity = UnsafeRawPointer(Unmanaged.passUnretained(namespace).toOpaque())
                if firstVisit(identity, at: level) {
                    push(namespace.values.valuesInAnyOrder, level + 1)
                }
            default: break
            }
        }
    }
}

extension Array where Element == RV {
    /// The address of the array's storage, shared by its copies; nil when
    /// empty. Valid while the array is alive.
    fileprivate var storageIdentity: UnsafeRawPointer? {
        withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) }
    }
}

extension RV {
    /// A list, tuple, group, dict or namespace: a value others nest in.
    fileprivate var isContainer: Bool {
        switch self {
        case .list, .tuple, .group, .dict, .namespace: return true
        default: return false
        }
    }
}
