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

    /// The values, in no particular order, without copying them out.
    var valuesInAnyOrder: Dictionary<DictKey, RV>.Values { storage.values }

    /// The address of the values' storage, shared by the dict's copies;
    /// valid while the dict is alive. For walks that must not visit a shared
    /// value once per path to it.
    var storageIdentity: UnsafeRawPointer {
        unsafeBitCast(storage, to: UnsafeRawPointer.self)
    }
}
