/// The filters that work on sequences: sorting, picking, mapping, grouping.
extension BuiltinFilters {
    /// Jinja's attribute getter: `"a.b.0"` looks up each part as a key or index.
    static func lookupPath(_ attribute: RV, in item: RV, _ args: CallArguments) throws -> RV {
        var parts: [RV]
        switch attribute {
        case .string(let path):
            parts = path.split(separator: ".", omittingEmptySubsequences: false).map { part in
                Int(part).map(RV.int) ?? .string(String(part))
            }
        case .int: parts = [attribute]
        default: throw args.error("\(args.what): attribute must be a string or an integer")
        }
        var current = item
        for part in parts {
            current = member(part, of: current, args)
            if current.isUndefined { return current }
        }
        return current
    }

    private static func member(_ key: RV, of object: RV, _ args: CallArguments) -> RV {
        let missing = RV.undefined(
            Undefined(
                reason: .attribute((try? key.str()) ?? "?", object.typeName), source: args.source,
                offset: args.offset))
        if case .group(let group) = object, case .string(let name) = key {
            if name == "grouper" { return group.grouper }
            if name == "list" { return .list(group.list) }
        }
        switch (object.plainTuple, key) {
        case (.dict(let dict), _):
            if let dictKey = key.dictKey, let value = dict[dictKey] { return value }
            if case .string(let name) = key, case .string(let keyName)? = Optional(key) {
                return .undefined(
                    Undefined(
                        reason: .key(keyName, dict.stringKeys), source: args.source,
                        offset: args.offset)
                )
                .orMethod(Methods.bound(name, to: object, source: args.source, offset: args.offset))
            }
            return missing
        case (.list(let items), .int(let index)), (.tuple(let items), .int(let index)):
            let resolved = index < 0 ? index + items.count : index
            return resolved >= 0 && resolved < items.count ? items[resolved] : missing
        case (_, .string(let name)):
            return Methods.bound(name, to: object, source: args.source, offset: args.offset)
                ?? missing
        default:
            return missing
        }
    }

    /// The value sorting and comparing use: lower-cased text unless case-sensitive.
    private static func sortKey(_ value: RV, caseSensitive: Bool) -> RV {
        if !caseSensitive, case .string(let text) = value { return .string(lower(text)) }
        return value
    }

    private static func keyFunction(
        _ attribute: RV?, caseSensitive: Bool, _ args: CallArguments
    ) -> (RV) throws -> RV {
        { item in
            let value = try attribute.map { try lookupPath($0, in: item, args) } ?? item
            if case .undefined(let u) = value { throw u.error }
            return sortKey(value, caseSensitive: caseSensitive)
        }
    }

    private static func order(_ a: RV, _ b: RV, _ args: CallArguments) throws -> Int {
        guard let order = try a.compare(b) else {
            throw args.error("'<' is not supported between \(a.typeName) and \(b.typeName)")
        }
        return order
    }

    /// A stable sort, as Python's `sorted`, also with `reverse`.
    static func stableSort(
        _ items: [RV], key: (RV) throws -> RV, reverse: Bool, _ args: CallArguments
    ) throws -> [RV] {
        let keyed = try items.enumerated().map {
            (index: $0.offset, key: try key($0.element), item: $0.element)
        }
        let sorted = try keyed.sorted { a, b in
            let comparison = try order(a.key, b.key, args)
            if comparison == 0 { return a.index < b.index }
            return reverse ? comparison > 0 : comparison < 0
        }
        return sorted.map(\.item)
    }

    static func first(_ value: RV, _ args: CallArguments) throws -> RV {
        _ = try args.bind([])
        if let item = try sequence(value, args).first { return item }
        return .undefined(
            Undefined(
                reason: .hint("no first item, sequence was empty"),
                source: args.source, offset: args.offset))
    }

    static func last(_ value: RV, _ args: CallArguments) throws -> RV {
        _ = try args.bind([])
        if let item = try sequence(value, args).last { return item }
        return .undefined(
            Undefined(
                reason: .hint("no last item, sequence was empty"),
                source: args.source, offset: args.offset))
    }

    static func sort(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["reverse", "case_sensitive", "attribute"])
        let reverse = try args.bool(bound[0], default: false)
        let caseSensitive = try args.bool(bound[1], default: false)
        var key = keyFunction(bound[2], caseSensitive: caseSensitive, args)
        // `attribute='a,b'` sorts by several attributes, as Jinja's multi-attribute getter.
        if case .string(let names)? = bound[2], names.contains(",") {
            let keys = names.split(separator: ",").map {
                keyFunction(.string(String($0)), caseSensitive: caseSensitive, args)
            }
            key = { item in .tuple(try keys.map { try $0(item) }) }
        }
        return .list(try stableSort(try sequence(value, args), key: key, reverse: reverse, args))
    }

    static func unique(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["case_sensitive", "attribute"])
        let key = keyFunction(
            bound[1], caseSensitive: try args.bool(bound[0], default: false), args)
        var seen: [RV] = []
        var result: [RV] = []
        for item in try sequence(value, args) {
            let itemKey = try key(item)
            if try seen.contains(where: { try $0.equals(itemKey) }) { continue }
            seen.append(itemKey)
            result.append(item)
        }
        return .list(result)
    }

    static func reverse(_ value: RV, _ args: CallArguments) throws -> RV {
        _ = try args.bind([])
        if case .string(let text) = value {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: text.unicodeScalars.reversed())
            return .string(String(view))
        }
        return .list(try sequence(value, args).reversed())
    }

    static func sum(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["attribute", "start"])
        var total = bound[1] ?? .int(0)
        for item in try sequence(value, args) {
            let term = try bound[0].map { try lookupPath($0, in: item, args) } ?? item
            total = try add(total, term, args)
        }
        return total
    }

    private static func add(_ a: RV, _ b: RV, _ args: CallArguments) throws -> RV {
        if case .undefined(let u) = b { throw u.error }
        switch (a, b) {
        case (.int(let x), .int(let y)):
            let (value, overflow) = x.addingReportingOverflow(y)
            if overflow { throw args.error("integer too large") }
            return .int(value)
        case (.list(let x), .list(let y)):
            guard x.count + y.count <= SizeLimit.maximumItems else {
                throw args.error(
                    "list of \(x.count + y.count) items is too long"
                        + " (the limit is \(SizeLimit.maximumItems))")
            }
            return .list(x + y)
        default:
            guard let x = a.number, let y = b.number else {
                throw args.error(
                    "unsupported operand types for +: '\(a.typeName)' and '\(b.typeName)'")
            }
            if case .double = a { return .double(x + y) }
            if case .double = b { return .double(x + y) }
            // Only ints and bools are left.
            let (value, overflow) = (a.integerValue ?? 0).addingReportingOverflow(
                b.integerValue ?? 0)
            if overflow { throw args.error("integer too large") }
            return .int(value)
        }
    }

    static func minMax(_ value: RV, _ args: CallArguments, max: Bool) throws -> RV {
        let bound = try args.bind(["case_sensitive", "attribute"])
        let key = keyFunction(
            bound[1], caseSensitive: try args.bool(bound[0], default: false), args)
        let items = try sequence(value, args)
        guard var best = items.first else {
            return .undefined(
                Undefined(
                    reason: .hint("no aggregated item, sequence was empty"),
                    source: args.source, offset: args.offset))
        }
        var bestKey = try key(best)
        for item in items.dropFirst() {
            let itemKey = try key(item)
            let comparison = try order(itemKey, bestKey, args)
            if max ? comparison > 0 : comparison < 0 {
                best = item
                bestKey = itemKey
            }
        }
        return best
    }

    /// `map('filter', args...)` or `map(attribute='x', default=...)`.
    static func map(_ value: RV, _ args: CallArguments) throws -> RV {
        let items = try sequence(value, args)
        if args.positional.isEmpty,
            let attribute = args.keyword.first(where: { $0.0 == "attribute" })?.1
        {
            let fallback = args.keyword.first(where: { $0.0 == "default" })?.1
            if let extra = args.keyword.first(where: { $0.0 != "attribute" && $0.0 != "default" }) {
                throw args.error("\(args.what) has no argument '\(extra.0)'")
            }
            return .list(
                try items.map { item in
                    let found = try lookupPath(attribute, in: item, args)
                    if found.isUndefined, let fallback { return fallback }
                    return found
                })
        }
        guard let nameValue = args.positional.first, case .string(let name) = nameValue else {
            throw args.error("\(args.what) needs a filter name or attribute=")
        }
        var inner = args
        inner.positional.removeFirst()
        inner.kind = .filter
        inner.name = name
        return .list(try items.map { try run(name, $0, inner) })
    }

    /// `select`/`reject` (a test on each item) and `selectattr`/`rejectattr` (on an attribute).
    static func select(_ value: RV, _ args: CallArguments, keep: Bool, attribute: Bool) throws -> RV
    {
        var inner = args
        var attributeName: RV?
        if attribute {
            guard !inner.positional.isEmpty else {
                throw args.error("\(args.what) needs an attribute")
            }
            attributeName = inner.positional.removeFirst()
        }
        var testName: String?
        if !inner.positional.isEmpty {
            testName = try inner.positional.removeFirst().str()
            inner.kind = .test
            inner.name = testName!
        }
        var result: [RV] = []
        for item in try sequence(value, args) {
            let subject = try attributeName.map { try lookupPath($0, in: item, args) } ?? item
            let passed: Bool
            if let testName {
                passed = try BuiltinTests.run(testName, subject, inner)
            } else {
                passed = try subject.truthy()
            }
            if passed == keep { result.append(item) }
        }
        return .list(result)
    }

    static func dictsort(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["case_sensitive", "by", "reverse"])
        guard case .dict(let dict) = value else {
            throw args.error("\(args.what) expects a dict, not \(value.typeName)")
        }
        let caseSensitive = try args.bool(bound[0], default: false)
        let by = try args.string(bound[1], "by", default: "key")
        guard by == "key" || by == "value" else {
            throw args.error("you can only sort by either 'key' or 'value'")
        }
        let pairs: [RV] = dict.items.map { .tuple([$0.0.value, $0.1]) }
        let position = by == "key" ? 0 : 1
        let key: (RV) throws -> RV = { pair in
            guard case .tuple(let parts) = pair else { return pair }
            return sortKey(parts[position], caseSensitive: caseSensitive)
        }
        return .list(
            try stableSort(pairs, key: key, reverse: try args.bool(bound[2], default: false), args))
    }

    static func items(_ value: RV, _ args: CallArguments) throws -> RV {
        _ = try args.bind([])
        guard case .dict(let dict) = value else {
            throw args.error("\(args.what) expects a dict, not \(value.typeName)")
        }
        return .list(dict.items.map { .tuple([$0.0.value, $0.1]) })
    }

    static func batch(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["linecount", "fill_with"])
        let size = try args.int(bound[0], "linecount", default: 0)
        guard size > 0 else { throw args.error("\(args.what): linecount must be positive") }
        if let fill = bound[1], !fill.isNone, size > SizeLimit.maximumItems {
            throw args.error(
                "\(args.what): linecount \(size) is too large (the limit is \(SizeLimit.maximumItems))")
        }
        var batches: [RV] = []
        var current: [RV] = []
        for item in try sequence(value, args) {
            current.append(item)
            if current.count == size {
                batches.append(.list(current))
                current = []
            }
        }
        if !current.isEmpty {
            if let fill = bound[1], !fill.isNone {
                current.append(contentsOf: repeatElement(fill, count: size - current.count))
            }
            batches.append(.list(current))
        }
        return .list(batches)
    }

    /// `slice(slices, fill_with=None)`: the items cut into `slices` columns,
    /// the first ones one longer when they do not divide evenly.
    static func slice(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["slices", "fill_with"])
        guard let slicesValue = bound[0] else {
            throw args.error("\(args.what) needs the number of slices")
        }
        let slices = try args.int(slicesValue, "slices", default: 0)
        guard slices != 0 else { throw args.error("\(args.what): slices cannot be zero") }
        guard slices > 0 else { return .list([]) }  // Python's range() of a negative count
        guard slices <= SizeLimit.maximumItems else {
            let limit = SizeLimit.maximumItems
            throw args.error("\(args.what): \(slices) slices are too many (the limit is \(limit))")
        }
        let items = try sequence(value, args)
        let perSlice = items.count / slices
        let longer = items.count % slices
        let fill = bound[1].flatMap { $0.isNone ? nil : $0 }
        var result: [RV] = []
        result.reserveCapacity(slices)
        var start = 0
        for number in 0..<slices {
            let end = start + perSlice + (number < longer ? 1 : 0)
            var part = Array(items[start..<end])
            if let fill, number >= longer { part.append(fill) }
            result.append(.list(part))
            start = end
        }
        return .list(result)
    }

    /// `groupby(attribute, default=None, case_sensitive=False)`: the items
    /// sorted by the attribute and grouped by equal values, each group a
    /// `(grouper, list)` tuple. Without `case_sensitive`, text is compared
    /// lower-cased and the grouper is the first item's own spelling.
    static func groupby(_ value: RV, _ args: CallArguments) throws -> RV {
        let bound = try args.bind(["attribute", "default", "case_sensitive"])
        guard let attribute = bound[0] else {
            throw args.error("\(args.what) needs the attribute to group by")
        }
        let fallback = bound[1].flatMap { $0.isNone ? nil : $0 }
        let caseSensitive = try args.bool(bound[2], default: false)
        let attributeOf: (RV) throws -> RV = { item in
            let found = try lookupPath(attribute, in: item, args)
            guard case .undefined(let undefined) = found else { return found }
            if let fallback { return fallback }
            throw undefined.error
        }
        let key: (RV) throws -> RV = {
            sortKey(try attributeOf($0), caseSensitive: caseSensitive)
        }
        var groups: [RV] = []
        var current: (key: RV, items: [RV])?
        func close() throws {
            guard let current else { return }
            let grouper = caseSensitive ? current.key : try attributeOf(current.items[0])
            groups.append(.group(GroupTuple(grouper: grouper, list: current.items)))
        }
        for item in try stableSort(try sequence(value, args), key: key, reverse: false, args) {
            let itemKey = try key(item)
            if let open = current, try open.key.equals(itemKey) {
                current?.items.append(item)
                continue
            }
            try close()
            current = (itemKey, [item])
        }
        try close()
        return .list(groups)
    }
}

extension RV {
    /// The value of an int or bool.
    var integerValue: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    fileprivate func orMethod(_ method: RV?) -> RV { method ?? self }
}
