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
    /// What `groupby` yields: a 2-tuple whose items are also `grouper` and `list`.
    case group(GroupTuple)
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
        case .tuple, .group: return "tuple"
        case .dict: return "dict"
        case .macro: return "macro"
        case .function: return "function"
        case .loop: return "loop"
        case .namespace: return "namespace"
        }
    }

    /// A `groupby` group as the plain tuple it behaves as; any other value as it is.
    var plainTuple: RV {
        if case .group(let group) = self { return .tuple(group.items) }
        return self
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }
}
