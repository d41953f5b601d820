import Jinja
import YAMLNodes

/// Turns a mark in one file's rendered text into the template position that
/// wrote it, as a `SourceLocation` with display paths.
struct SourceLocator: Sendable {
    /// The rendered text's origin map; nil for files that are not templates.
    let rendered: (any RenderedText)?
    /// The file's own display path (`jobs.d/x.yaml`, `jcrun.yaml`).
    let file: String
    /// The name the template engine gives this file (`x.yaml`); its
    /// positions are shown as `file` without asking `displayName`.
    let templateName: String
    /// Template name (as the engine reports it) to display path.
    let displayName: @Sendable (String) -> String

    init(
        rendered: (any RenderedText)?, file: String, templateName: String = "",
        displayName: @escaping @Sendable (String) -> String
    ) {
        self.rendered = rendered
        self.file = file
        self.templateName = templateName
        self.displayName = displayName
    }

    func location(_ mark: Mark) -> SourceLocation {
        guard let rendered else { return SourceLocation(file: file, line: mark.line, column: mark.column) }
        let origin = rendered.origin(line: mark.line, column: mark.column)
        let context = origin.frames.map { frame in
            let at = frame.definedAt
            return "(in \(frame.what) from \(displayName(at.file)):\(at.line):\(at.column))"
        }
        let name = origin.position.file
        return SourceLocation(
            file: name == templateName ? file : displayName(name), line: origin.position.line,
            column: origin.position.column, context: context.joined(separator: " "))
    }

    func location(of position: SourcePosition) -> SourceLocation {
        SourceLocation(file: displayName(position.file), line: position.line, column: position.column)
    }
}
