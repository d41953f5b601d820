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
            /// Everything the row shows but the age: a row with the same key
            /// is the same text.
            var key: RowKey
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

    struct RowKey: Equatable {
        var job: JobID
        var title: String?
        var protect: Bool
        var dependencies: [JobID]
        var label: JobStatusLabel
        var latest: BuildID?
        var latestStatus: BuildStatus?
        var last: Date?
        var outdated: String?
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

    /// Every job's row for `status`, in the jobs' order; a row of
    /// `previous` (made with the same `forms`) whose key is unchanged is
    /// taken as it is (after a build, most rows are).
    static func rows(jobs: JobSet, status: WebJobStatus, forms: WebForms, previous: Rows? = nil)
        -> Rows
    {
        var before: [JobID: Rows.Row] = [:]
        if let previous {
            before.reserveCapacity(previous.rows.count)
            for row in previous.rows { before[row.key.job] = row }
        }
        var rows: [Rows.Row] = []
        rows.reserveCapacity(jobs.jobs.count)
        var size = 0
        for job in jobs.jobs {
            let latest = status.states[job.id]?.latest
            let key = RowKey(
                job: job.id, title: job.title, protect: job.protect, dependencies: job.dependencies,
                label: status.label(job.id), latest: latest?.id,
                latestStatus: latest?.status, last: latest.map(lastTime),
                outdated: status.outdated[job.id])
            let row: Rows.Row
            if let old = before[job.id], old.key == key {
                row = old
            } else {
                row = self.row(job, key, forms: forms)
            }
            size += row.head.utf8.count + row.tail.utf8.count
            rows.append(row)
        }
        return Rows(serial: status.serial, rows: rows, size: size)
    }

    private static func row(_ job: Job, _ key: RowKey, forms: WebForms) -> Rows.Row {
        var head = "<tr data-job=\"\(HTML.escape(job.id))\"><td>\(HTML.jobLink(job.id))"
        if job.protect { head += " <span class=\"tag\">protected</span>" }
        if let title = job.title { head += "<div class=\"sub\">\(HTML.escape(title))</div>" }
        head += "</td><td class=\"status\">\(HTML.badge(key.label.rawValue))</td><td>"
        if let latest = key.latest, let latestStatus = key.latestStatus {
            head += HTML.buildLink(latest) + " " + HTML.escape(latestStatus.rawValue)
        }
        head += "</td><td>"
        var tail = "</td><td class=\"reason\">\(HTML.escape(key.outdated ?? ""))</td><td>"
        tail += job.dependencies.map(HTML.jobLink).joined(separator: ", ")
        tail += "</td><td>\(forms.build(job))</td></tr>"
        return Rows.Row(key: key, head: head, last: key.last, tail: tail)
    }

    /// When a build last changed: finished, else started, else created.
    static func lastTime(_ build: BuildRecord) -> Date {
        build.finishedAt ?? build.startedAt ?? build.createdAt
    }
}
