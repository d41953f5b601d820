/// A job's resolved definition as the job page's table: one row per field
/// that is set, secrets shown by name only (`!secret api_key`), never by value.
struct JobDefinitionView {
    let job: Job

    /// Secret values that reached the job another way (`{{ env.X }}`,
    /// `!env X`) are masked too.
    init(job: Job) {
        self.job = job.displayed
    }

    var html: String {
        var rows: [(String, String)] = [("source", job.source.description)]
        rows.append(("command", Self.text(job.command)))
        if !job.args.isEmpty {
            rows.append(("args", job.args.map(Self.text).joined(separator: " ")))
        }
        if !job.env.isEmpty {
            let lines = job.env.map { "\($0.name)=\(Self.text($0.value))" }
            rows.append(("env", lines.joined(separator: "\n")))
        }
        rows.append(("workdir", job.workdir))
        if let timeout = job.timeout { rows.append(("timeout", "\(timeout)s")) }
        if job.retries > 0 {
            rows.append(("retries", "\(job.retries), \(job.retryDelay)s apart"))
        }
        rows.append(("stop_grace", "\(job.stopGrace)s"))
        if let maxAge = job.maxAge { rows.append(("max_age", "\(maxAge)s")) }
        if !job.tags.isEmpty { rows.append(("tags", job.tags.joined(separator: ", "))) }
        if job.protect { rows.append(("protect", "true")) }
        if job.earlyCutoff { rows.append(("early_cutoff", "true")) }
        rows.append(("directives", job.directives.rawValue))
        if let cleanup = job.cleanup { rows.append(("cleanup", Self.text(cleanup))) }
        var table = "<table class=\"facts\">"
        for (name, value) in rows {
            table += "<tr><th>\(name)</th><td><pre>\(HTML.escape(value))</pre></td></tr>"
        }
        return table + "</table>"
    }

    /// A shell command as written; an argv with each word quoted when it needs it.
    static func text(_ command: Command) -> String {
        switch command {
        case .shell(let text): return text
        case .argv(let words): return words.map(text).joined(separator: " ")
        }
    }

    static func text(_ value: ArgValue) -> String {
        switch value {
        case .text(let text):
            let plain =
                !text.isEmpty
                && text.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }
            return plain ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
        case .retval(let job): return "!retval \(job)"
        case .secret(let name): return "!secret \(name)"
        }
    }
}
