import Foundation

/// `/builds/N`: the build's facts, lineage, progress tree and log, followed
/// live by app.js while the build runs.
struct BuildPage {
    /// The page shows at most this many of the newest log entries.
    static let logLimit = 2000

    let build: BuildRecord
    let inputs: [BuildInput]
    let consumers: [BuildInput]
    let progress: WebProgress
    let log: [LogEntry]
    let level: LogLevel?
    let readOnly: Bool

    var html: String {
        let live = !build.status.isFinished
        var body = "<article data-build=\"\(build.id)\"\(live ? " data-live-build" : "")"
        body += " data-level=\"\(level?.rawValue ?? "")\" data-after=\"\(log.last?.seq ?? 0)\">"
        body += "<h1>Build #\(build.id) of \(HTML.jobLink(build.job)) <span id=\"status\">"
        body += HTML.badge(build.status.rawValue) + "</span></h1>"
        body += facts + lineage
        body += "<h2>Progress</h2><div id=\"progress\">\(progress.html)</div>"
        body += "<h2>Log</h2>" + levelFilter + logTable + "</article>"
        return HTML.page(title: "Build #\(build.id)", body: body, live: live, readOnly: readOnly)
    }

    private var facts: String {
        var rows: [(String, String)] = [
            (
                "status",
                HTML.escape(
                    build.status.rawValue + (build.failureKind.map { " (\($0.rawValue))" } ?? ""))
            ),
            ("created", HTML.time(build.createdAt)),
            ("started", HTML.time(build.startedAt)),
            ("finished", HTML.time(build.finishedAt)),
            ("duration", build.duration.map(DurationFormat.short) ?? "—"),
            ("exit", build.exitCode.map(String.init) ?? build.signal.map(HTML.escape) ?? "—"),
            ("reason", HTML.escape(build.reason)),
            ("trigger", HTML.escape(build.trigger)),
            ("attempt", String(build.attempt)),
        ]
        if let error = build.error { rows.append(("error", HTML.escape(error))) }
        rows.append(("return value", build.retval.map { "<code>\(HTML.escape($0))</code>" } ?? "—"))
        if let runner = build.runner {
            rows.append(("runner", HTML.escape("\(runner.host) pid \(runner.pid)")))
        }
        let cells = rows.map {
            "<tr><th>\($0.0)</th><td id=\"f-\($0.0.replacingOccurrences(of: " ", with: "-"))\">\($0.1)</td></tr>"
        }
        return "<table class=\"facts\">" + cells.joined() + "</table>"
    }

    private var lineage: String {
        guard !inputs.isEmpty || !consumers.isEmpty else { return "" }
        var text = "<h2>Lineage</h2><ul class=\"lineage\">"
        for input in inputs {
            text +=
                "<li>consumed \(HTML.buildLink(input.consumed)) of \(HTML.jobLink(input.dependency))"
            if let retval = input.retval { text += " → <code>\(HTML.escape(retval))</code>" }
            if input.pinned { text += " <span class=\"tag\">pinned</span>" }
            text += "</li>"
        }
        for consumer in consumers {
            text += "<li>consumed by \(HTML.buildLink(consumer.build))</li>"
        }
        return text + "</ul>"
    }

    private var levelFilter: String {
        var text = "<form class=\"filters\" method=\"get\"><label>Level at least "
        text += "<select name=\"level\"><option value=\"\">all</option>"
        for option in LogLevel.allCases {
            text += "<option\(option == level ? " selected" : "")>\(option.rawValue)</option>"
        }
        return text + "</select></label> <button>show</button></form>"
    }

    private var logTable: String {
        var text = ""
        if log.count >= Self.logLimit {
            text += "<p class=\"muted\">Showing the last \(Self.logLimit) entries; "
            text += "<code>jcrun log \(build.id)</code> prints them all.</p>"
        }
        text += "<table class=\"log\"><tbody id=\"log\">"
        for entry in log { text += Self.logRow(entry) }
        return text + "</tbody></table>"
    }

    static func logRow(_ entry: LogEntry) -> String {
        let time = JSONText.timestamp(entry.time)
        let clock = time.dropFirst(11).prefix(12)
        var row = "<tr class=\"l-\(entry.level.rawValue)\"><td class=\"seq\">\(entry.seq)</td>"
        row += "<td class=\"t\"><time datetime=\"\(time)\">\(clock)</time></td>"
        row += "<td>\(entry.stream.rawValue)</td><td>\(entry.level.rawValue)</td>"
        return row + "<td class=\"text\">\(HTML.escape(entry.text))</td></tr>"
    }
}
