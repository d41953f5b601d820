import Foundation
import YAMLNodes

/// What one mapping of a job file (or `defaults`) sets, before defaults are
/// applied and the job is checked as a whole.
struct JobFields {
    var id: JobID?
    var title: String?
    var notes: String?
    var command: Command?
    var args: [ArgValue]?
    var env: [Job.EnvEntry]?
    var dependencies: [JobID]?
    var workdir: String?
    var timeout: Seconds?
    var retries: Int?
    var retryDelay: Seconds?
    var stopGrace: Seconds?
    var maxAge: Seconds?
    var tags: [String]?
    var protect: Bool?
    var earlyCutoff: Bool?
    var directives: DirectiveMode?
    var cleanup: Command?
    /// Where each dependency is written.
    var dependencySources: [JobID: SourceLocation] = [:]
    /// Every `!retval X`: the job named, where, and the env name it sits under.
    var retvalUses: [RetvalUse] = []
    /// Keys that failed to decode: they count as set, so no default replaces them.
    var failedKeys: Set<String> = []

    struct RetvalUse {
        var job: JobID
        var at: SourceLocation
        var envName: String?
    }

    /// Every key a job may have, in the order JOBS.md lists them.
    static let jobKeys = [
        "id", "title", "notes", "command", "args", "env", "dependencies", "workdir", "timeout",
        "retries", "retry_delay", "stop_grace", "max_age", "tags", "protect", "early_cutoff",
        "directives", "cleanup",
    ]

    /// The keys `defaults` in `jcrun.yaml` may set.
    static let defaultKeys = [
        "timeout", "retries", "retry_delay", "stop_grace", "max_age", "workdir", "directives",
        "tags", "env",
    ]
}
