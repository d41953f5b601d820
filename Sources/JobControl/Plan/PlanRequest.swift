import Foundation

/// What the user asked to build: `jcrun JOB...` or `jcrun build-outdated [JOB...]`
/// with the build options.
public struct PlanRequest: Sendable, Hashable {
    /// The jobs named on the command line, or every job.
    public enum Targets: Sendable, Hashable {
        case all
        case jobs([JobID])
    }

    /// `jcrun JOB` builds the named jobs always; `build-outdated` only outdated ones.
    public enum Mode: Sendable, Hashable {
        case build
        case buildOutdated
    }

    public var targets: Targets
    public var mode: Mode
    /// `-B`/`--always`: build every job in scope, outdated or not.
    public var always: Bool
    /// `--no-deps`: only the named jobs; their dependencies are used as they are.
    public var noDeps: Bool
    /// `--with-revdeps`: also every transitive dependent (except protected ones).
    public var withRevdeps: Bool
    /// `--pin DEP=BUILD`: dependents consume BUILD instead of DEP's latest success.
    public var pins: [JobID: BuildID]
    /// The user confirmed building named protected jobs.
    public var allowProtected: Bool

    public init(
        targets: Targets, mode: Mode = .build, always: Bool = false, noDeps: Bool = false,
        withRevdeps: Bool = false, pins: [JobID: BuildID] = [:], allowProtected: Bool = false
    ) {
        self.targets = targets
        self.mode = mode
        self.always = always
        self.noDeps = noDeps
        self.withRevdeps = withRevdeps
        self.pins = pins
        self.allowProtected = allowProtected
    }
}
