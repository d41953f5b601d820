import Foundation

/// `/`: every job with its status, last build, age, why it is outdated and
/// its dependencies, and a button to build it.
struct JobsPage {
    let jobs: JobSet
    let status: WebJobStatus
    let forms: WebForms
    let now: Date

    var html: String {
        var body = ""
        body.reserveCapacity(1024 + jobs.jobs.count * 640)
        body += "<div class=\"titlebar\"><h1>Jobs</h1>\(forms.buildOutdated())</div>"
        body +=
            "<table class=\"jobs\" data-live-jobs><thead><tr><th>Job</th><th>Status</th><th>Last build</th>"
        body +=
            "<th>Age</th><th>Outdated because</th><th>Dependencies</th><th></th></tr></thead><tbody>"
        for job in jobs.jobs { row(job, into: &body) }
        body += "</tbody></table>"
        if jobs.jobs.isEmpty {
            body += "<p class=\"muted\">No jobs defined in \(HTML.escape(jobs.jobsDir.path)).</p>"
        }
        return HTML.page(title: "Jobs", body: body, readOnly: forms.security.readOnly)
    }

    /// One job's row, appended to `row` (the page is one growing string).
    private func row(_ job: Job, into row: inout String) {
        let latest = status.states[job.id]?.latest
        row += "<tr data-job=\"\(HTML.escape(job.id))\"><td>\(HTML.jobLink(job.id))"
        if job.protect { row += " <span class=\"tag\">protected</span>" }
        if let title = job.title { row += "<div class=\"sub\">\(HTML.escape(title))</div>" }
        row += "</td><td class=\"status\">\(HTML.badge(status.label(job.id).rawValue))</td><td>"
        if let latest {
            row += HTML.buildLink(latest.id) + " " + HTML.escape(latest.status.rawValue)
        }
        row += "</td><td>\(HTML.age(latest.map(Self.lastTime), now: now))</td>"
        row += "<td class=\"reason\">\(HTML.escape(status.outdated[job.id] ?? ""))</td><td>"
        row += job.dependencies.map(HTML.jobLink).joined(separator: ", ")
        row += "</td><td>\(forms.build(job))</td></tr>"
    }

    /// When a build last changed: finished, else started, else created.
    static func lastTime(_ build: BuildRecord) -> Date {
        build.finishedAt ?? build.startedAt ?? build.createdAt
    }
}
