import Foundation
import JobControl

/// `list`, `status`, `show`, `graph` and `why`: what is defined and in what state.
enum JobCommands {
    static func list(_ context: Context) throws -> Int32 {
        // `--ids --json` would be plain lines where a script expects JSON.
        if context.invocation.has("ids") && context.json {
            throw CLIError.usage(
                "options '--ids' and '--json' cannot be used together; 'jcrun list --json' prints each job's id in its object")
        }
        let jobs = try context.loadJobs()
        if context.invocation.has("ids") {
            context.console.out(jobs.jobs.map { $0.id + "\n" }.joined())
            return 0
        }
        let status = try JobStatusReader(
            jobs: jobs, store: context.openStoreForReading(jobs), now: Date())
        if context.json {
            var text = ""
            for job in jobs.jobs {
                var object = JSONText.versioned()
                object.field("id", job.id)
                object.field("title", job.title)
                object.field("status", status.label(job.id).rawValue)
                object.field("dependencies", strings: job.dependencies)
                object.field("protect", job.protect)
                text += object.string + "\n"
            }
            context.console.out(text)
            return 0
        }
        let palette = context.stdoutPalette
        var columns = Columns()
        for job in jobs.jobs {
            let label = status.text(job, palette: palette)
            var title = VisibleText.escaped(job.title ?? "")
            if !job.dependencies.isEmpty {
                title +=
                    (title.isEmpty ? "" : " ")
                    + "(needs \(job.dependencies.joined(separator: ", ")))"
            }
            columns.add([job.id, label, title])
        }
        context.console.out(columns.text)
        return 0
    }

    static func status(_ context: Context) throws -> Int32 {
        let jobs = try context.loadJobs()
        let selected = try context.invocation.positionals.map { try context.job($0, in: jobs) }
        let now = Date()
        let status = try JobStatusReader(
            jobs: jobs, store: context.openStoreForReading(jobs), now: now)
        let palette = context.stdoutPalette
        var columns = Columns()
        var text = ""
        for job in selected.isEmpty ? jobs.jobs : selected {
            let label = status.label(job.id).rawValue
            let last = status.states[job.id]?.latest
            if context.json {
                var object = JSONText.versioned()
                object.field("job", job.id)
                object.field("status", label)
                object.field("protect", job.protect)
                object.field("last_build_id", last?.id)
                object.field("last_build_status", last?.status.rawValue)
                object.field("last_finished_at", last?.finishedAt)
                object.field("duration_s", last?.duration)
                object.field(
                    "last_successful_build_id", status.states[job.id]?.latestSuccessful?.id)
                text += object.string + "\n"
                continue
            }
            var cells = [job.id, status.text(job, palette: palette)]
            if let last {
                let when = (last.finishedAt ?? last.startedAt ?? last.createdAt)
                cells += [
                    "#\(last.id)", DurationFormat.age(since: when, now: now),
                    last.duration.map(DurationFormat.short) ?? "-",
                ]
            }
            columns.add(cells)
        }
        context.console.out(context.json ? text : columns.text)
        return 0
    }

    static func show(_ context: Context) throws -> Int32 {
        let jobs = try context.loadJobs()
        let defined = try context.job(context.invocation.positionals[0], in: jobs)
        // Shown with secrets masked, even where a value arrived through `env`;
        // the hash stays the one the planner compares.
        let job = defined.displayed
        let graph = JobGraph(jobs)
        let dependents = graph.dependents(of: job.id)
        if context.json {
            var object = JSONText.versioned()
            object.field("id", job.id)
            object.field("source", job.source.description)
            object.field("definition", raw: job.snapshotJSON())
            object.field("definition_hash", defined.definitionHash)
            object.field("dependencies", strings: job.dependencies)
            object.field("dependents", strings: dependents)
            context.console.out(object.string + "\n")
            return 0
        }
        var text = "\(job.id)" + (job.title.map { ": \($0)" } ?? "") + "\n"
        text += "  defined at    \(job.source)\n"
        if let notes = job.notes { text += "  notes         \(notes)\n" }
        text += "  command       \(describe(job.command))\n"
        if !job.args.isEmpty {
            text += "  args          \(job.args.map(describe).joined(separator: " "))\n"
        }
        for entry in job.env { text += "  env           \(entry.name)=\(describe(entry.value))\n" }
        text += "  workdir       \(job.workdir)\n"
        text +=
            "  dependencies  \(job.dependencies.isEmpty ? "-" : job.dependencies.joined(separator: ", "))\n"
        text += "  dependents    \(dependents.isEmpty ? "-" : dependents.joined(separator: ", "))\n"
        if let timeout = job.timeout { text += "  timeout       \(timeout)s\n" }
        if job.retries > 0 { text += "  retries       \(job.retries) (delay \(job.retryDelay)s)\n" }
        if let maxAge = job.maxAge { text += "  max_age       \(maxAge)s\n" }
        if !job.tags.isEmpty { text += "  tags          \(job.tags.joined(separator: ", "))\n" }
        if job.protect { text += "  protect       true\n" }
        if job.earlyCutoff { text += "  early_cutoff  true\n" }
        if job.directives != .stdout { text += "  directives    \(job.directives.rawValue)\n" }
        if let cleanup = job.cleanup { text += "  cleanup       \(describe(cleanup))\n" }
        text += "  hash          \(defined.definitionHash)\n"
        // Titles, notes, tags and commands are the project's text: shown, never obeyed.
        context.console.out(VisibleText.escapedLines(text))
        return 0
    }

    static func graph(_ context: Context) throws -> Int32 {
        let jobs = try context.loadJobs()
        let root = try context.invocation.positionals.first.map { try context.job($0, in: jobs).id }
        let format = context.invocation.value("format") ?? "text"
        let graph = JobGraph(jobs)
        let reverse = context.invocation.has("revdeps")
        switch format {
        case "text": context.console.out(graph.renderText(root: root, reverse: reverse))
        case "dot": context.console.out(graph.renderDot(root: root, reverse: reverse))
        default:
            throw CLIError.usage(
                "option '--format' expects text or dot, got '\(format)'"
                    + Suggestion.clause(for: format, in: ["text", "dot"]))
        }
        return 0
    }

    static func why(_ context: Context) throws -> Int32 {
        let jobs = try context.loadJobs()
        let job = try context.job(context.invocation.positionals[0], in: jobs)
        let store = try context.openStoreForReading(jobs)
        let states = try store?.jobStates(jobs.jobs.map(\.id)) ?? [:]
        let lines = try Planner().why(job.id, jobs: jobs, states: states, now: Date())
        context.console.out(lines.map { $0 + "\n" }.joined())
        return 0
    }

    /// A command or value as `show` prints it, secrets by name only.
    static func describe(_ command: Command) -> String {
        switch command {
        case .argv(let values): return "[" + values.map(describe).joined(separator: ", ") + "]"
        case .shell(let text): return "sh -c \(quoted(text))"
        }
    }

    static func describe(_ value: ArgValue) -> String {
        switch value {
        case .text(let text): return quoted(text)
        case .retval(let job): return "!retval \(job)"
        case .secret(let name): return "!secret \(name) (***)"
        }
    }

    private static func quoted(_ text: String) -> String {
        var object = ""
        JSONText.appendString(text, to: &object)
        return object
    }
}
