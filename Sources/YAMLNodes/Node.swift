/// A position in YAML text; line and column count from 1.
public struct Mark: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written. Plain scalars are the only ones a reader may
/// interpret (`~`, `null`); quoted and block scalars are always text.
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// One node of a YAML document, with its tag and where it was written.
///
/// Aliases are expanded and merge keys (`<<`) applied by the reader, so a
/// consumer only ever sees scalars, sequences and mappings. A mapping keeps
/// the order its keys were written in.
public struct Node: Sendable, Hashable {
    public indirect enum Kind: Sendable, Hashable {
        case scalar(String, ScalarStyle)
        case sequence([Node])
        case mapping([Pair])
    }

    public struct Pair: Sendable, Hashable {
        public var key: Node
        public var value: Node

        public init(key: Node, value: Node) {
            self.key = key
            self.value = value
        }
    }

    public var kind: Kind
    /// The explicit tag as written, short form resolved (`!retval`, `!secret`,
    /// `tag:yaml.org,2002:str`), or nil when the node has none.
    public var tag: String?
    public var mark: Mark

    public init(kind: Kind, tag: String? = nil, mark: Mark) {
        self.kind = kind
        self.tag = tag
        self.mark = mark
    }
}

/// What can go wrong reading YAML text. Every case carries the mark of the
/// offending place.
public enum YAMLError: Error, Sendable, Equatable {
    /// libyaml's own complaint (`found character that cannot start any token`);
    /// `context` (`while parsing a flow sequence`) began at `contextMark`.
    case syntax(message: String, context: String?, at: Mark, contextMark: Mark? = nil)
    /// A key written twice in one mapping; `first` is its earlier place.
    case duplicateKey(String, at: Mark, first: Mark)
    /// An alias names an anchor that was never defined.
    case unknownAnchor(String, at: Mark)
    /// Expanding aliases would produce more than `limit` nodes (an alias bomb).
    case tooManyNodes(limit: Int, at: Mark)
    /// A merge key (`<<`) whose value is not a mapping or a list of mappings.
    case badMerge(at: Mark)
    /// The text is not valid UTF-8 or holds characters YAML forbids.
    case invalidText(message: String, at: Mark)
}
