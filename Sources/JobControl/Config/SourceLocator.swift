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
        guard let rendered else {
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        }
        return location(of: rendered.origin(line: mark.line, column: mark.column))
    }

    /// The outer position, then each macro or include frame, innermost first,
    /// with the place inside it that wrote the text, as the engine's
    /// `Origin.described` writes it but with display paths:
    /// `jobs.d/sites.yaml:12:3 (in macro 'site' from jobs.d/_macros.j2:4:5)`.
    func location(of origin: Origin) -> SourceLocation {
        var inside: [String] = []
        var written = origin.writtenAt
        for frame in origin.frames {
            inside.append("in \(frame.what) from \(display(written))")
            written = frame.calledFrom
        }
        let position = origin.position
        let context = inside.isEmpty ? "" : "(" + Origin.collapsed(inside) + ")"
        return SourceLocation(
            file: displayFile(position.file), line: position.line, column: position.column,
            context: context)
    }

    /// A template error: `position` is inside the innermost frame, so the
    /// outer position is where the outermost call was written.
    func location(of error: TemplateError) -> SourceLocation {
        let outer = error.frames.last?.calledFrom ?? error.position
        return location(
            of: Origin(position: outer, frames: error.frames, writtenAt: error.position))
    }

    private func displayFile(_ name: String) -> String {
        name == templateName ? file : displayName(name)
    }

    private func display(_ position: SourcePosition) -> String {
        "\(displayFile(position.file)):\(position.line):\(position.column)"
    }
}
