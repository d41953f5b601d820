import Foundation

/// `/`: every job with its status, last build, age, why it is outdated and
/// its dependencies, and a button to build it.
///
/// Only the age column depends on the clock, so the rows are made once per
/// status (`Rows`, kept by `WebApp` while `WebJobStatus.serial` is the same)
/// in two pieces around the age cell; a request joins them with the ages.
struct JobsPage {
    /// Every job's row but its age, for one status.
    struct Rows {
        struct Row {
            /// Up to the age cell.
            var head: String
            /// When the latest build last changed; nil when never built.
            var last: Date?
            /// From the age cell's end.
            var tail: String
        }

        var serial: Int
        var rows: [Row]
        var size: Int
    }

    let jobs: JobSet
    let rows: Rows
    let forms: WebForms
    let now: Date

    init(jobs: JobSet, status: WebJobStatus, forms: WebForms, now: Date) {
        self.init(jobs: jobs, rows: Self.rows(jobs: jobs, status: status, forms: forms), forms: forms, now: now)
    }

    init(jobs: JobSet, rows: Rows, forms: WebForms, now: Date) {
        self.jobs = jobs
        self.rows = rows
        self.forms = forms
        self.now = now
    }

    var html: String {
        var body = ""
        body.reserveCapacity(1024 + rows.size + rows.rows.count * 64)
        body += "<div class=\"titlebar\"><h1>Jobs</h1>\(forms.buildOutdated())</div>"
        body +=
            "<table class=\"jobs\" data-live-jobs><thead><tr><th>Job</th><th>Status</th><th>Last build</th>"
        body +=
            "<th>Age</th><th>Outdated because</th><th>Dependencies</th><th></th></tr></thead><tbody>"
        for row in rows.rows {
            body += row.head
            body += HTML.age(row.last, now: now)
            body += row.tail
        }
        body += "</tbody></table>"
        if jobs.jobs.isEmpty {
            body += "<p class=\"muted\">No jobs defined in \(HTML.escape(jobs.jobsDir.path)).</p>"
        }
        return HTML.page(title: "Jobs", body: body, readOnly: forms.security.readOnly)
    }

    /// Every job's row for `status`, in the jobs' order.
    static func rows(jobs: JobSet, status: WebJobStatus, forms: WebForms) -> Rows {
        var rows: [Rows.Row] = []
        rows.reserveCapacity(jobs.jobs.count)
        var size = 0
        for job in jobs.jobs {
            let row = self.row(job, status: status, forms: forms)
            size += row.head.utf8.count + row.tail.utf8.count
            rows.append(row)
        }
        return Rows(serial: status.serial, rows: rows, size: size)
    }

    private static func row(_ job: Job, status: WebJobStatus, forms: WebForms) -> Rows.Row {
        let latest = status.states[job.id]?.latest
        var head = "<tr data-job=\"\(HTML.escape(job.id))\"><td>\(HTML.jobLink(job.id))"
        if job.protect { head += " <span class=\"tag\">protected</span>" }
        if let title = job.title { head += "<div class=\"sub\">\(HTML.escape(title))</div>" }
        head += "</td><td class=\"status\">\(HTML.badge(status.label(job.id).rawValue))</td><td>"
        if let latest {
            head += HTML.buildLink(latest.id) + " " + HTML.escape(latest.status.rawValue)
        }
        head += "</td><td>"
        var tail = "</td><td class=\"reason\">\(HTML.escape(status.outdated[job.id] ?? ""))</td><td>"
        tail += job.dependencies.map(HTML.jobLink).joined(separator: ", ")
        tail += "</td><td>\(forms.build(job))</td></tr>"
        return Rows.Row(head: head, last: latest.map(lastTime), tail: tail)
    }

    /// When a build last changed: finished, else started, else created.
    static func lastTime(_ build: BuildRecord) -> Date {
        build.finishedAt ?? build.startedAt ?? build.createdAt
    }
}
