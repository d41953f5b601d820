// The reference types a render creates: macros bound to scopes, built-in
// functions, namespaces and loop state.

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
/// One group of the `groupby` filter, Python's `_GroupTuple`: the tuple
/// `(grouper, list)`, whose items can also be read as attributes.
final class GroupTuple {
    let grouper: RV
    let list: [RV]

    init(grouper: RV, list: [RV]) {
        self.grouper = grouper
        self.list = list
    }

    var items: [RV] { [grouper, .list(list)] }
}

final class Namespace {
    var values: RDict

    init(values: RDict) { self.values = values }
}

/// The `loop` variable of a `{% for %}`.
final class LoopState {
    /// What `loop(items)` needs to run a recursive loop again.
    struct Recursion {
        let loop: ForLoop
        /// The scope the `for` statement itself ran in.
        let scope: Scope
    }

    let items: [RV]
    /// How deep in a recursive loop: 0 for the outermost.
    let depth0: Int
    /// Set for a `recursive` loop, whose `loop` variable is callable.
    let recursion: Recursion?
    /// The arguments of the last `loop.changed(...)` call.
    var lastChanged: [RV]?
    @exclusivity(unchecked) var index0 = 0

    init(items: [RV], depth0: Int = 0, recursion: Recursion? = nil) {
        self.items = items
        self.depth0 = depth0
        self.recursion = recursion
    }
}
