/// Renders templates by name, with a loader for `include`/`import` and the
/// global variables every template sees.
///
/// The API here is the contract the config loader codes against:
/// `render(templateNamed:)` returns the text with an origin map, or throws a
/// `TemplateError` with a position. Parsed templates are cached per
/// environment (and its copies), keyed by name.
public struct Environment: Sendable {
    public var loader: any TemplateLoader
    public var globals: OrderedDict
    /// Nouns for global dicts whose missing keys deserve their own message:
    /// with `["env": "environment variable"]`, `{{ env.NOPE }}` fails with
    /// `environment variable 'NOPE' is not set` instead of `dict has no key`.
    public var missingKeyNouns: [String: String] = [:]
    private let cache = TemplateCache()

    public init(loader: any TemplateLoader, globals: OrderedDict = OrderedDict()) {
        self.loader = loader
        self.globals = globals
    }

    /// Renders the template `name` (as the loader knows it; also the file
    /// name used in positions and errors).
    ///
    /// - Throws: `TemplateError` only; a loader's own error becomes one at 1:1.
    public func render(templateNamed name: String) throws -> Rendered {
        let template: Template?
        do {
            template = try cache.template(named: name, loader: loader)
        } catch let error as TemplateError {
            throw error
        } catch {
            throw TemplateError(
                position: SourcePosition(file: name, line: 1, column: 1),
                message: "cannot read template '\(name)': \(error)")
        }
        guard let template else {
            throw TemplateError(
                position: SourcePosition(file: name, line: 1, column: 1),
                message: "template '\(name)' not found")
        }
        return try render(template)
    }

    /// Renders `source` as the template `name`; include and import still use the loader.
    ///
    /// - Throws: `TemplateError`.
    public func render(source: String, name: String) throws -> Rendered {
        try render(try Parser.parse(SourceText(name: name, text: source)))
    }

    private func render(_ template: Template) throws -> Rendered {
        let globalScope = Scope(parent: Globals.scope())
        for (key, value) in globals.pairs { globalScope.vars[key] = RV(value) }
        let renderer = Renderer(
            loader: loader, cache: cache, globals: globalScope, template: template)
        renderer.missingKeyNouns = missingKeyNouns
        do {
            try renderer.renderRoot(template, in: Scope(parent: globalScope))
        } catch let cycle as IncludeCycle {
            throw cycle.error
        }
        return Rendered(bytes: renderer.output, map: renderer.map, file: template.name)
    }
}
