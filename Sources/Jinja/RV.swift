/// A value during rendering: the public `Value` cases plus what only exists
/// inside a render (undefined names, macros, bound methods, loop state).
enum RV {
    case undefined(Undefined)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([RV])
    case tuple([RV])
    case dict(RDict)
    case macro(Macro)
    case function(Function)
    case loop(LoopState)
    case namespace(Namespace)

    init(_ value: Value) {
        switch value {
        case .none: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .list(let items): self = .list(items.map(RV.init))
        case .dict(let dict):
            var result = RDict()
            for key in dict.keys { result[.string(key)] = RV(dict[key]!) }
            self = .dict(result)
        }
    }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .macro: return "macro"
        case .function: return "function"
        case .loop: return "loop"
        case .namespace: return "namespace"
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }
}

/// A name or member that does not exist; using it for anything but `default`
/// and `is defined` is an error (Jinja's `StrictUndefined`).
struct Undefined {
    enum Reason {
        case variable(String, Scope)
        case key(String, [String])
        case attribute(String, String)
        case index(Int)
        case hint(String)
        case export(String, String, [String])
    }

    var reason: Reason
    var source: SourceText
    var offset: Int
    /// Jinja's plain `Undefined`, which the inline `x if c` without `else`
    /// gives even under `StrictUndefined`: it prints as nothing, is false and
    /// iterates as empty; arithmetic and attribute access are still errors.
    var lenient = false

    var error: TemplateError {
        let position = source.position(of: offset)
        switch reason {
        case .variable(let name, let scope):
            return TemplateError(position: position, message: "undefined variable '\(name)'",
                suggestion: closestName(to: name, in: scope.allNames()))
        case .key(let key, let keys):
            return TemplateError(position: position, message: "dict has no key '\(key)'",
                suggestion: closestName(to: key, in: keys))
        case .attribute(let name, let type):
            return TemplateError(position: position, message: "\(type) has no attribute '\(name)'")
        case .index(let index):
            return TemplateError(position: position, message: "index \(index) is out of range")
        case .hint(let text):
            return TemplateError(position: position, message: text)
        case .export(let name, let template, let names):
            return TemplateError(position: position,
                message: "template '\(template)' does not export '\(name)'",
                suggestion: closestName(to: name, in: names))
        }
    }
}

/// The key of a template dict: Python's hashable scalars.
enum DictKey: Hashable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case none

    var value: RV {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .bool(let b): return .bool(b)
        case .none: return .none
        }
    }
}

/// An insertion-ordered dict, as Python's.
struct RDict {
    private(set) var keys: [DictKey] = []
    private var storage: [DictKey: RV] = [:]

    var count: Int { keys.count }

    subscript(key: DictKey) -> RV? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    var stringKeys: [String] {
        keys.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }

    var items: [(DictKey, RV)] { keys.map { ($0, storage[$0]!) } }
}

/// A macro bound to the scope it was defined in.
final class Macro {
    let definition: MacroDefinition
    let template: Template
    let closure: Scope

    init(definition: MacroDefinition, template: Template, closure: Scope) {
        self.definition = definition
        self.template = template
        self.closure = closure
    }
}

/// A built-in callable: a global such as `range`, or a bound method such as `d.items`.
final class Function {
    let name: String
    let call: (CallArguments) throws -> RV

    init(name: String, call: @escaping (CallArguments) throws -> RV) {
        self.name = name
        self.call = call
    }
}

/// What `namespace(...)` makes: the one mutable object of the template
/// language, so a loop can carry a value out (`{% set ns.count = ns.count + 1 %}`).
final class Namespace {
    var values: RDict

    init(values: RDict) { self.values = values }
}

/// The `loop` variable of a `{% for %}`.
final class LoopState {
    let items: [RV]
    /// The arguments of the last `loop.changed(...)` call.
    var lastChanged: [RV]?
    @exclusivity(unchecked) var index0 = 0

    init(items: [RV]) { self.items = items }
}
