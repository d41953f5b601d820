import Foundation

/// Parsed templates by name, shared by the renders of one `Environment`, so
/// a file included or imported by twenty job files is parsed once.
final class TemplateCache: @unchecked Sendable {
    private let lock = NSLock()
    private var templates: [String: Template] = [:]

    /// The parsed template `name`, or nil when the loader has none.
    ///
    /// - Throws: `TemplateError` for syntax errors; the loader's own errors.
    func template(named name: String, loader: any TemplateLoader) throws -> Template? {
        lock.lock()
        let cached = templates[name]
        lock.unlock()
        if let cached { return cached }
        guard let text = try loader.source(named: name) else { return nil }
        let template = try Parser.parse(SourceText(name: name, text: text))
        lock.lock()
        templates[name] = template
        lock.unlock()
        return template
    }
}
