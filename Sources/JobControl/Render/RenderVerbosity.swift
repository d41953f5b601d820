/// How much a human renderer prints (`-q`, default, `-v`).
public enum RenderVerbosity: Sendable, Equatable {
    /// Nothing when all went well; failed builds and their log tails otherwise.
    case quiet
    case normal
    /// Also every line each job prints, prefixed with its id.
    case verbose
}
