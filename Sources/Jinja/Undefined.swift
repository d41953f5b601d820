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
        /// A missing key with its own message, and the keys to suggest from.
        case described(message: String, key: String, keys: [String])
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
            return TemplateError(
                position: position, message: "undefined variable '\(name)'",
                suggestion: closestName(to: name, in: scope.allNames()))
        case .key(let key, let keys):
            return TemplateError(
                position: position, message: "dict has no key '\(key)'",
                suggestion: closestName(to: key, in: keys))
        case .attribute(let name, let type):
            return TemplateError(position: position, message: "\(type) has no attribute '\(name)'")
        case .index(let index):
            return TemplateError(position: position, message: "index \(index) is out of range")
        case .hint(let text):
            return TemplateError(position: position, message: text)
        case .described(let message, let key, let keys):
            return TemplateError(
                position: position, message: message, suggestion: closestName(to: key, in: keys))
        case .export(let name, let template, let names):
            return TemplateError(
                position: position,
                message: "template '\(template)' does not export '\(name)'",
                suggestion: closestName(to: name, in: names))
        }
    }
}
