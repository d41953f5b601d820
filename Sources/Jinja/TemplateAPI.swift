/// Where a template's text comes from: `include`, `import` and `from` ask it by name.
///
/// Returning `nil` means "template not found". Names are as written in the
/// template (`_macros.j2`); the loader decides what is reachable, and jcrun's
/// loader refuses `..` and absolute names, as Jinja's file loader does.
public protocol TemplateLoader: Sendable {
    func source(named name: String) throws -> String?
}

/// A place in a template file; lines and columns count from 1.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// Where a piece of rendered text came from: the template position that wrote
/// it, and the chain of macro calls or includes that led there, innermost first.
public struct Origin: Sendable, Hashable {
    public struct Frame: Sendable, Hashable {
        /// `"macro 'site'"`, `"include"` or `"import"`.
        public var what: String
        /// Where the macro was defined, or the include file's start.
        public var definedAt: SourcePosition
        /// Where the call or include was written.
        public var calledFrom: SourcePosition

        public init(what: String, definedAt: SourcePosition, calledFrom: SourcePosition) {
            self.what = what
            self.definedAt = definedAt
            self.calledFrom = calledFrom
        }
    }

    /// The outermost position: where the top-level template wrote this text
    /// (for text from a macro, the call site).
    public var position: SourcePosition
    /// Innermost-first chain of macro/include frames; empty for plain text.
    public var frames: [Frame]
    /// Where the text was written in the innermost template (inside the macro
    /// or included file); equal to `position` for plain text.
    public var writtenAt: SourcePosition

    public init(position: SourcePosition, frames: [Frame] = [], writtenAt: SourcePosition? = nil) {
        self.position = position
        self.frames = frames
        self.writtenAt = writtenAt ?? position
    }

    /// `jobs.d/sites.yaml:12:3 (in macro 'site' from jobs.d/_macros.j2:4:5)`:
    /// the outer position, then each frame innermost first with the place
    /// inside it that wrote the text.
    public var described: String {
        guard !frames.isEmpty else { return position.description }
        var inside: [String] = []
        var written = writtenAt
        for frame in frames {
            inside.append("in \(frame.what) from \(written)")
            written = frame.calledFrom
        }
        return "\(position) (" + Origin.collapsed(inside) + ")"
    }

    /// Frame descriptions joined with `, `, a run of identical ones (a
    /// recursive macro, a file including itself) written once with
    /// `, 99 more times`, and a repeating run of up to 8 (two files
    /// including each other) written once with `, these 2 again 49 more times`.
    public static func collapsed(_ frames: [String]) -> String {
        var parts: [String] = []
        var index = 0
        while index < frames.count {
            // The period whose repeats cover the most frames from here.
            var best = (period: 1, repeats: 0)
            for period in 1...8 where index + 2 * period <= frames.count {
                var repeats = 0
                while index + (repeats + 2) * period <= frames.count,
                    frames[(index + (repeats + 1) * period)..<(index + (repeats + 2) * period)]
                        .elementsEqual(frames[index..<(index + period)])
                {
                    repeats += 1
                }
                if repeats * period > best.repeats * best.period { best = (period, repeats) }
            }
            let block = frames[index..<(index + best.period)].joined(separator: ", ")
            let times = "\(best.repeats) more time\(best.repeats == 1 ? "" : "s")"
            switch (best.period, best.repeats) {
            case (_, 0): parts.append(frames[index])
            case (1, _): parts.append(block + ", " + times)
            default: parts.append(block + ", these \(best.period) again " + times)
            }
            index += best.repeats == 0 ? 1 : best.period * (best.repeats + 1)
        }
        return parts.joined(separator: ", ")
    }
}

/// The result of rendering: the text, and a map from its positions back to
/// the template positions that produced them.
public protocol RenderedText: Sendable {
    var text: String { get }
    /// The origin of the character at `line`:`column` (1-based) of `text`.
    func origin(line: Int, column: Int) -> Origin
}

/// A template error, always with a position: `jobs.d/x.yaml:3:7: ...`.
public struct TemplateError: Error, Sendable, Equatable {
    public var position: SourcePosition
    public var message: String
    /// "did you mean 'upper'?" material, already chosen by the engine.
    public var suggestion: String?
    /// For an error inside a macro or an included file: the calls that led
    /// there, innermost first (`position` is inside the innermost one).
    public var frames: [Origin.Frame]

    public init(
        position: SourcePosition, message: String, suggestion: String? = nil,
        frames: [Origin.Frame] = []
    ) {
        self.position = position
        self.message = message
        self.suggestion = suggestion
        self.frames = frames
    }
}
