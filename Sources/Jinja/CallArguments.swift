/// Evaluated arguments of a call, filter or test, with what is needed to
/// report a misuse at the place it was written.
struct CallArguments {
    var positional: [RV] = []
    var keyword: [(String, RV)] = []
    /// What is called, for messages; kept in parts so a call builds no text.
    enum Kind { case filter, test, function, macro }
    var kind: Kind
    var name: String
    var source: SourceText
    var offset: Int

    init(_ kind: Kind, _ name: String, source: SourceText, offset: Int, positional: [RV] = []) {
        self.kind = kind
        self.name = name
        self.source = source
        self.offset = offset
        self.positional = positional
    }

    /// `filter 'indent'`, `test 'divisibleby'`, `range()`, `macro 'site'`.
    var what: String {
        switch kind {
        case .filter: return "filter '\(name)'"
        case .test: return "test '\(name)'"
        case .function: return "\(name)()"
        case .macro: return "macro '\(name)'"
        }
    }

    func error(_ message: String, suggestion: String? = nil) -> TemplateError {
        TemplateError(
            position: source.position(of: offset), message: message, suggestion: suggestion)
    }

    /// Binds the arguments to Python-style parameters; nil where not given.
    ///
    /// - Throws: for too many arguments, unknown keywords, or a parameter given twice.
    func bind(_ parameters: [String]) throws -> [RV?] {
        guard positional.count <= parameters.count else {
            throw error(
                "\(what) takes at most \(parameters.count) \(plural(parameters.count)), \(positional.count) given"
            )
        }
        var bound = [RV?](repeating: nil, count: parameters.count)
        for (index, value) in positional.enumerated() { bound[index] = value }
        for (name, value) in keyword {
            guard let index = parameters.firstIndex(of: name) else {
                throw error(
                    "\(what) has no argument '\(name)'",
                    suggestion: closestName(to: name, in: parameters))
            }
            guard bound[index] == nil else { throw error("\(what) got argument '\(name)' twice") }
            bound[index] = value
        }
        return bound
    }

    func plural(_ count: Int) -> String { count == 1 ? "argument" : "arguments" }

    // Conversions that name the argument when the type is wrong.

    func int(_ value: RV?, _ name: String, default defaultValue: Int) throws -> Int {
        guard let value else { return defaultValue }
        switch value {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        case .double(let d) where d == d.rounded() && abs(d) < 1e18: return Int(d)
        case .undefined(let u): throw u.error
        default: throw error("\(what): '\(name)' must be an integer, not \(value.typeName)")
        }
    }

    func string(_ value: RV?, _ name: String, default defaultValue: String) throws -> String {
        guard let value else { return defaultValue }
        if case .undefined(let u) = value { throw u.error }
        if case .string(let s) = value { return s }
        throw error("\(what): '\(name)' must be a string, not \(value.typeName)")
    }

    func bool(_ value: RV?, default defaultValue: Bool) throws -> Bool {
        guard let value else { return defaultValue }
        return try value.truthy()
    }
}
