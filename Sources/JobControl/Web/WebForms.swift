/// The buttons that start builds: POST forms carrying the CSRF token. A
/// protected job's button stays disabled until its "arm" control is used
/// (with JavaScript in place; without it, "arm" leads to a confirmation page).
struct WebForms {
    let security: WebSecurity

    func build(_ job: Job) -> String {
        if security.readOnly { return "<button disabled title=\"read-only server\">build</button>" }
        let segment = HTML.segment(job.id)
        let path = "/jobs/\(segment)"
        let id = "f-" + HTML.escape(segment)
        var form = "<form class=\"inline\" method=\"post\" action=\"\(path)/build\" id=\"\(id)\">"
        form += "<input type=\"hidden\" name=\"csrf\" value=\"\(security.csrfToken)\">"
        guard job.protect else { return form + "<button>build</button></form>" }
        form += "<input type=\"hidden\" name=\"armed\" value=\"0\">"
        form += "<button class=\"danger\" disabled title=\"protected: arm first\">build</button> "
        form += "<a class=\"arm\" data-form=\"\(id)\" href=\"\(path)/arm\">arm</a></form>"
        return form
    }

    func buildOutdated() -> String {
        if security.readOnly {
            return "<button disabled title=\"read-only server\">build outdated</button>"
        }
        var form = "<form class=\"inline\" method=\"post\" action=\"/build-outdated\">"
        form += "<input type=\"hidden\" name=\"csrf\" value=\"\(security.csrfToken)\">"
        return form + "<button>build outdated</button></form>"
    }

    /// The page a protected job's "arm" link leads to without JavaScript.
    func confirmation(_ job: Job) -> String {
        let path = "/jobs/\(HTML.segment(job.id))"
        var body = "<h1>Build protected job \(HTML.escape(job.id))?</h1>"
        body +=
            "<p>\(HTML.jobLink(job.id)) is protected: its builds are not undone by rebuilding.</p>"
        body += "<form method=\"post\" action=\"\(path)/build\">"
        body += "<input type=\"hidden\" name=\"csrf\" value=\"\(security.csrfToken)\">"
        body += "<input type=\"hidden\" name=\"armed\" value=\"1\">"
        body +=
            "<button class=\"danger\">build \(HTML.escape(job.id))</button> <a href=\"\(path)\">cancel</a></form>"
        return HTML.page(title: "Build \(job.id)?", body: body, readOnly: security.readOnly)
    }
}
