import Foundation

/// `/jobs/ID`: the definition (secrets masked), dependencies and dependents,
/// and the job's builds, filtered by status and paged.
struct JobPage {
    static let pageSize = 25

    let job: Job
    let graph: JobGraph
    let label: JobStatusLabel
    let outdatedReason: String?
    /// One more than a page, to tell whether an older page exists.
    let builds: [BuildRecord]
    let statusFilter: BuildStatus?
    let page: Int
    let forms: WebForms
    let now: Date

    var html: String {
        var body =
            "<div class=\"titlebar\"><h1>\(HTML.escape(job.id)) \(HTML.badge(label.rawValue))</h1>"
        body += forms.build(job) + "</div>"
        if let title = job.title { body += "<p class=\"lead\">\(HTML.escape(title))</p>" }
        if let notes = job.notes { body += "<p>\(HTML.escape(notes))</p>" }
        if let outdatedReason { body += "<p>Outdated: \(HTML.escape(outdatedReason))</p>" }
        body += "<h2>Dependencies</h2><p>" + links(job.dependencies) + "</p>"
        body += "<h2>Dependents</h2><p>" + links(graph.dependents(of: job.id)) + "</p>"
        body += "<h2>Builds</h2>" + filters + buildTable + pager
        body += "<h2>Definition</h2>" + JobDefinitionView(job: job).html
        return HTML.page(title: job.id, body: body, readOnly: forms.security.readOnly)
    }

    private func links(_ jobs: [JobID]) -> String {
        jobs.isEmpty
            ? "<span class=\"muted\">none</span>" : jobs.map(HTML.jobLink).joined(separator: ", ")
    }

    private var filters: String {
        var text = "<p class=\"filters\">Status: "
        let options: [BuildStatus?] = [nil] + BuildStatus.allCases.map { Optional($0) }
        text += options.map { option in
            let name = option?.rawValue ?? "all"
            if option == statusFilter { return "<strong>\(name)</strong>" }
            let query = option.map { "?status=\($0.rawValue)" } ?? ""
            return "<a href=\"/jobs/\(HTML.segment(job.id))\(query)\">\(name)</a>"
        }.joined(separator: " · ")
        return text + "</p>"
    }

    private var buildTable: String {
        let shown = builds.prefix(Self.pageSize)
        guard !shown.isEmpty else { return "<p class=\"muted\">No builds.</p>" }
        var text =
            "<table><thead><tr><th>Build</th><th>Status</th><th>Created</th><th>Duration</th>"
        text += "<th>Reason</th><th>Trigger</th><th>Error</th></tr></thead><tbody>"
        for build in shown {
            text +=
                "<tr><td>\(HTML.buildLink(build.id))</td><td>\(HTML.badge(build.status.rawValue))</td>"
            text += "<td>\(HTML.age(build.createdAt, now: now))</td>"
            text += "<td>\(build.duration.map(DurationFormat.short) ?? "—")</td>"
            text += "<td>\(HTML.escape(build.reason))</td><td>\(HTML.escape(build.trigger))</td>"
            text += "<td>\(HTML.escape(build.error ?? ""))</td></tr>"
        }
        return text + "</tbody></table>"
    }

    private var pager: String {
        var base = "/jobs/\(HTML.segment(job.id))?"
        if let statusFilter { base += "status=\(statusFilter.rawValue)&amp;" }
        var links: [String] = []
        if page > 1 { links.append("<a href=\"\(base)page=\(page - 1)\">← newer</a>") }
        if builds.count > Self.pageSize {
            links.append("<a href=\"\(base)page=\(page + 1)\">older →</a>")
        }
        return links.isEmpty
            ? "" : "<p class=\"pager\">Page \(page) · " + links.joined(separator: " ") + "</p>"
    }
}
