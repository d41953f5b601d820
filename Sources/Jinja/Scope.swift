/// Variables visible at one level: the globals, a template, a loop body, a macro call.
///
/// Names are looked up innermost first along `parent`.
final class Scope {
    // Unchecked exclusivity: see `Renderer`; scopes live inside one render.
    @exclusivity(unchecked) var vars: ScopeVariables
    let parent: Scope?

    init(parent: Scope?, vars: [String: RV] = [:]) {
        self.parent = parent
        self.vars = ScopeVariables()
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
    private(set) var keys: [String] = []
    private var values: [RV] = []
    private var index: [String: Int]?
    private static let indexThreshold = 12

    @inline(__always) private func position(of name: String) -> Int? {
        if let index { return index[name] }
        for i in keys.indices where keys[i] == name { return i }
        return nil
    }

    subscript(name: String) -> RV? {
        get { position(of: name).map { values[$0] } }
        set {
            guard let newValue else {
                // Removal is rare (never on a hot path): rebuild.
                guard let i = position(of: name) else { return }
                keys.remove(at: i)
                values.remove(at: i)
                index = nil
                if keys.count > ScopeVariables.indexThreshold { buildIndex() }
                return
            }
            if let i = position(of: name) {
                values[i] = newValue
                return
            }
            keys.append(name)
            values.append(newValue)
            if index != nil {
                index![name] = keys.count - 1
            } else if keys.count > ScopeVariables.indexThreshold {
                buildIndex()
            }
        }
    }

    private mutating func buildIndex() {
        var built: [String: Int] = [:]
        for (i, key) in keys.enumerated() { built[key] = i }
        index = built
    }
}
