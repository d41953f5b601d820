/// Renders templates by name, with a loader for `include`/`import` and the
/// global variables every template sees.
///
/// The API here is the contract the config loader codes against:
/// `render(templateNamed:)` returns the text with an origin map, or throws a
/// `TemplateError` with a position.
public struct Environment: Sendable {
    public var loader: any TemplateLoader
    public var globals: OrderedDict

    public init(loader: any TemplateLoader, globals: OrderedDict = OrderedDict()) {
        self.loader = loader
        self.globals = globals
    }

    /// Renders the template `name` (as the loader knows it; also the file
    /// name used in positions and errors).
    public func render(templateNamed name: String) throws -> Rendered {
        // TODO(#2): placeholder until the engine lands: text passes through unrendered.
        guard let source = try loader.source(named: name) else {
            throw TemplateError(
                position: SourcePosition(file: name, line: 1, column: 1),
                message: "template '\(name)' not found")
        }
        return Rendered(text: source, file: name)
    }
}

/// Rendered text and the map back to where each part was written.
public struct Rendered: RenderedText {
    public var text: String
    private var file: String

    init(text: String, file: String) {
        self.text = text
        self.file = file
    }

    public func origin(line: Int, column: Int) -> Origin {
        Origin(position: SourcePosition(file: file, line: line, column: column))
    }
}
