import Foundation

/// The JSON form of jcrun's records, the same names everywhere (`--json`,
/// query commands, the web page's `/api/`).
public enum BuildJSON {
    /// A build: at least the fields DESIGN.md lists, snake_case. A skipped
    /// build's reason (stored as its error) is `skip_reason`; its `error` is null.
    /// With `event`, it is a `--json` event line, whose `event` comes right
    /// after `v` as in every other event.
    public static func build(_ build: BuildRecord, event: String? = nil) -> JSONText {
        let skipped = build.status == .skipped
        var object = JSONText.versioned()
        if let event { object.field("event", event) }
        object.field("id", build.id)
        object.field("job", build.job)
        object.field("status", build.status.rawValue)
        object.field("failure_kind", build.failureKind?.rawValue)
        object.field("exit_code", build.exitCode)
        object.field("signal", build.signal)
        object.field("error", skipped ? nil : nonEmpty(build.error))
        object.field("skip_reason", skipped ? nonEmpty(build.error) : nil)
        object.field("attempt", build.attempt)
        object.field("reason", build.reason)
        object.field("trigger", build.trigger)
        object.field("retval", build.retval)
        object.field("created_at", build.createdAt)
        object.field("started_at", build.startedAt)
        object.field("finished_at", build.finishedAt)
        object.field("duration_s", build.duration)
        object.field("runner_host", build.runner?.host)
        object.field("runner_pid", build.runner.map { Int($0.pid) })
        return object
    }

    private static func nonEmpty(_ text: String?) -> String? {
        text?.isEmpty == false ? text : nil
    }

    /// A log line; `build_id` first when it is not implied (`jcrun log --json`).
    /// TODO(#4): bytes that are not UTF-8 appear as U+FFFD, with nothing
    /// marking the entry as changed; only `jcrun log --raw` gives them back.
    public static func logEntry(_ entry: LogEntry, withBuild: Bool = false) -> JSONText {
        var object = JSONText.versioned()
        if withBuild { object.field("build_id", entry.build) }
        object.field("seq", entry.seq)
        object.field("time", entry.time)
        object.field("stream", entry.stream.rawValue)
        object.field("level", entry.level.rawValue)
        object.field("text", entry.text)
        object.field("continued", entry.continued)
        return object
    }

    /// `up_to_date`, `protected_used_as_is`, ... for a left-out job.
    public static func leftOut(_ item: LeftOut) -> JSONText {
        var object = JSONText()
        object.field("job", item.job)
        object.field("why", leftOutReason(item.why))
        if case .protectedUsedAsIs(let build) = item.why { object.field("build_id", build) }
        if case .builtMeanwhile(let build) = item.why { object.field("build_id", build) }
        if let condition = item.condition {
            object.field("conditional_on", strings: condition.dependencies)
        }
        return object
    }

    /// The snake_case name of why a job was left out of a plan.
    public static func leftOutReason(_ why: LeftOut.Why) -> String {
        if why == .upToDate { return "up_to_date" }
        if case .builtMeanwhile = why { return "up_to_date" }
        if case .protectedUsedAsIs = why { return "protected_used_as_is" }
        if why == .protectedWithoutBuild { return "protected_without_build" }
        if why == .missingDependency { return "missing_dependency" }
        return "protected_left_out"
    }

    public static func plan(_ plan: Plan) -> JSONText {
        var object = JSONText.versioned()
        object.field("event", "plan")
        object.field(
            "builds",
            objects: plan.builds.map { planned in
                var item = JSONText()
                item.field("job", planned.job)
                item.field("reason", planned.reason.description)
                // The dependencies in the plan that alone make it outdated:
                // it is built only if one of them brings a new value.
                if let condition = planned.condition {
                    item.field("conditional_on", strings: condition.dependencies)
                } else {
                    item.field("conditional_on", raw: "null")
                }
                return item
            })
        object.field("left_out", objects: plan.leftOut.map(leftOut))
        return object
    }
}
