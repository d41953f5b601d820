/// A value as templates see it: what `vars` hold, what expressions compute.
///
/// Mappings keep their insertion order, as Python's dicts do, so a `for` over
/// a mapping renders in the order the YAML was written.
public indirect enum Value: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case dict(OrderedDict)
}

/// An insertion-ordered mapping from text keys to values.
public struct OrderedDict: Sendable, Equatable {
    public private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    public init() {}

    public init(_ pairs: [(String, Value)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { keys.count }

    public subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public var pairs: [(String, Value)] { keys.map { ($0, storage[$0]!) } }
}
