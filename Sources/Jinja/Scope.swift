/// Variables visible at one level: the globals, a template, a loop body, a macro call.
///
/// Names are looked up innermost first along `parent`.
final class Scope {
    // Unchecked exclusivity: see `Renderer`; scopes live inside one render.
    @exclusivity(unchecked) var vars: ScopeVariables
    let parent: Scope?

    init(parent: Scope?, vars: [String: RV] = [:], capacity: Int = 0) {
        self.parent = parent
        self.vars = ScopeVariables(capacity: max(capacity, vars.count))
        for (name, value) in vars { self.vars[name] = value }
    }

    func lookup(_ name: String) -> RV? {
        var scope: Scope? = self
        while let current = scope {
            if let value = current.vars[name] { return value }
            scope = current.parent
        }
        return nil
    }

    /// Every visible name, innermost first, for "did you mean" suggestions.
    func allNames() -> [String] {
        var names: [String] = []
        var scope: Scope? = self
        while let current = scope {
            names.append(contentsOf: current.vars.keys.sorted())
            scope = current.parent
        }
        return names
    }
}

/// The variables of one scope: a short list searched in order, which beats
/// hashing for the handful of names a macro call or loop holds, with a hash
/// index once there are many (the globals).
struct ScopeVariables {
    private var entries: [(name: String, value: RV)] = []
    private var index: [String: Int]?
    private static let indexThreshold = 12

    init(capacity: Int = 0) {
        entries.reserveCapacity(capacity)
    }

    var keys: [String] { entries.map(\.name) }

    @inline(__always) private func position(of name: String) -> Int? {
        if let index { return index[name] }
        for i in entries.indices where entries[i].name == name { return i }
        return nil
    }

    subscript(name: String) -> RV? {
        get {
            guard let i = position(of: name) else { return nil }
            return entries[i].value
        }
        set {
            guard let newValue else {
                // Removal is rare (never on a hot path): rebuild.
                guard let i = position(of: name) else { return }
                entries.remove(at: i)
                index = nil
                if entries.count > ScopeVariables.indexThreshold { buildIndex() }
                return
            }
            if let i = position(of: name) {
                entries[i].value = newValue
                return
            }
            entries.append((name, newValue))
            if index != nil {
                index![name] = entries.count - 1
            } else if entries.count > ScopeVariables.indexThreshold {
                buildIndex()
            }
        }
    }

    private mutating func buildIndex() {
        var built: [String: Int] = [:]
        for (i, entry) in entries.enumerated() { built[entry.name] = i }
        index = built
    }
}
