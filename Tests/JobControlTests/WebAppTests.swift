import Foundation
import Testing

@testable import JobControl

/// The web page's routes and guards, without HTTP: requests in, status,
/// headers and bodies out, against a real SQLite store in /tmp.
struct WebAppTests {
    /// crawl (reports progress, logs a `<script>` line), report needs crawl,
    /// publish is protected and needs report.
    final class Site: @unchecked Sendable {
        let folder = StoreFolder()
        let store: SQLiteStore
        let jobs: JobSet
        let crawlBuild: BuildID

        init() throws {
            store = try folder.openStore()
            var crawl = testJob("crawl", command: .shell("crawl.sh"))
            crawl.title = "Crawl <the> site"
            crawl.env = [Job.EnvEntry(name: "API_KEY", value: .secret("api_key"))]
            jobs = testJobSet(
                [
                    crawl, testJob("report", deps: ["crawl"]),
                    testJob("publish", deps: ["report"], protect: true),
                ],
                secrets: ["api_key": "hunter2-secret-value"])
            let build = try store.createBuild(
                NewBuild(
                    job: "crawl", trigger: "cli", reason: "never built", configSnapshot: "{}",
                    configHash: "h"))
            crawlBuild = build.id
            let now = Date()
            try store.appendLogs([
                store.logLine(build.id, 1, "fetched page 1", time: now),
                store.logLine(
                    build.id, 2, "<script>alert('x')</script>", level: .warning, time: now),
                store.logLine(build.id, 3, "debug detail", level: .debug, time: now),
            ])
            try store.saveProgress([
                ProgressRecord(
                    build: build.id, group: [], current: 5, total: 20, status: "page 5",
                    updatedAt: now),
                ProgressRecord(
                    build: build.id, group: ["images"], current: 1, total: nil, status: nil,
                    updatedAt: now),
            ])
        }

        func app(readOnly: Bool = false, token: String? = nil, loopback: Bool = true) -> WebApp {
            let jobs = self.jobs
            let store = self.store
            let source = WebSource(loadJobs: { jobs }, openStore: { store })
            let security = WebSecurity(
                csrfToken: "csrf-token-for-tests", accessToken: token, loopbackOnly: loopback,
                readOnly: readOnly)
            let app = WebApp(security: security, source: source, launcher: nil)
            return app
        }
    }

    static func get(_ path: String, query: [String: String] = [:], headers: [String: String] = [:])
        -> WebRequest
    {
        WebRequest(
            method: "GET", path: path, query: query,
            headers: ["host": "127.0.0.1:5050"].merging(headers) { $1 })
    }

    static func post(_ path: String, body: String, headers: [String: String] = [:]) -> WebRequest {
        WebRequest(
            method: "POST", path: path, headers: ["host": "127.0.0.1:5050"].merging(headers) { $1 },
            body: Array(body.utf8))
    }

    /// A broken job file shows as the command line's one-line error, not a
    /// Swift dump of the error value.
    @Test(arguments: ["/", "/api/jobs"]) func brokenDefinitionsShowTheirErrorLines(path: String) throws {
        let site = try Site()
        let broken = ConfigErrors([
            .missingDependency(
                job: "report", dependency: "crwal", suggestion: "crawl",
                at: SourceLocation(file: "jobs.d/site.yaml", line: 8, column: 39))
        ])
        let source = WebSource(loadJobs: { throw broken }, openStore: { site.store })
        let security = WebSecurity(
            csrfToken: "csrf", accessToken: nil, loopbackOnly: true, readOnly: false)
        let response = WebApp(security: security, source: source, launcher: nil)
            .respond(Self.get(path))
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == 500)
        let expected = "the job definitions do not load:\n\(broken.errors[0].lines[0].dropFirst(14))"
        let shown = path.hasPrefix("/api/") ? JSONText.quoted(expected) : HTML.escape(expected)
        #expect(body.contains(shown), "\(body)")
        #expect(!body.contains("ConfigErrors("))
    }

    struct StatusCase: CustomTestStringConvertible, Sendable {
        var path: String
        var query: [String: String] = [:]
        var status: Int
        var contentType: String
        var testDescription: String { "GET \(path) \(query) → \(status)" }
    }

    static let statusCases: [StatusCase] = [
        StatusCase(path: "/", status: 200, contentType: "text/html; charset=utf-8"),
        StatusCase(path: "/jobs/crawl", status: 200, contentType: "text/html; charset=utf-8"),
        StatusCase(
            path: "/jobs/crawl", query: ["status": "running"], status: 200,
            contentType: "text/html; charset=utf-8"),
        StatusCase(
            path: "/jobs/crawl", query: ["status": "bogus"], status: 400,
            contentType: "text/html; charset=utf-8"),
        StatusCase(path: "/jobs/nope", status: 404, contentType: "text/html; charset=utf-8"),
        StatusCase(path: "/builds/1", status: 200, contentType: "text/html; charset=utf-8"),
        StatusCase(path: "/builds/999", status: 404, contentType: "text/html; charset=utf-8"),
        StatusCase(path: "/builds/abc", status: 404, contentType: "text/html; charset=utf-8"),
        StatusCase(path: "/graph", status: 200, contentType: "text/html; charset=utf-8"),
        StatusCase(path: "/static/style.css", status: 200, contentType: "text/css; charset=utf-8"),
        StatusCase(
            path: "/static/app.js", status: 200, contentType: "text/javascript; charset=utf-8"),
        StatusCase(
            path: "/static/missing.js", status: 404, contentType: "text/html; charset=utf-8"),
        StatusCase(path: "/api/jobs", status: 200, contentType: "application/json"),
        StatusCase(path: "/api/jobs/crawl", status: 200, contentType: "application/json"),
        StatusCase(path: "/api/jobs/nope", status: 404, contentType: "application/json"),
        StatusCase(path: "/api/builds", status: 200, contentType: "application/json"),
        StatusCase(
            path: "/api/builds", query: ["limit": "0"], status: 400, contentType: "application/json"
        ),
        StatusCase(
            path: "/api/builds", query: ["job": "nope"], status: 404,
            contentType: "application/json"),
        StatusCase(path: "/api/builds/1", status: 200, contentType: "application/json"),
        StatusCase(path: "/api/builds/999", status: 404, contentType: "application/json"),
        StatusCase(
            path: "/api/builds/1/log", query: ["level": "loud"], status: 400,
            contentType: "application/json"),
        StatusCase(path: "/api/builds/1/progress", status: 200, contentType: "application/json"),
        StatusCase(path: "/api/nothing", status: 404, contentType: "application/json"),
        StatusCase(path: "/nothing/here", status: 404, contentType: "text/html; charset=utf-8"),
    ]

    @Test(arguments: statusCases)
    func everyRouteAnswersWithItsStatus(_ item: StatusCase) throws {
        let site = try Site()
        let response = site.app().respond(Self.get(item.path, query: item.query))
        #expect(response.status == item.status)
        #expect(response.contentType == item.contentType)
    }

    @Test func theJobsAPIListsEveryJobWithVersionStatusAndReason() throws {
        let site = try Site()
        let text = site.app().respond(Self.get("/api/jobs")).text
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["v"] as? Int == 1)
        let jobs = try #require(object["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["id"] as? String } == ["crawl", "report", "publish"])
        #expect(jobs.map { $0["status"] as? String } == ["running", "not built", "not built"])
        #expect(jobs.allSatisfy { $0["v"] as? Int == 1 })
        #expect(jobs[1]["outdated_reason"] as? String == "never built")
        #expect(jobs[2]["protected"] as? Bool == true)
        let last = try #require(jobs[0]["last_build"] as? [String: Any])
        #expect(last["id"] as? Int == 1)
        #expect(last["status"] as? String == "running")
        #expect((last["created_at"] as? String)?.hasSuffix("Z") == true)
    }

    /// An empty parameter is no parameter, whichever it is (a tester got a
    /// 400 for `after=`, a 404 for `job=`, and `level=` ignored).
    @Test func anEmptyParameterIsLeftOut() throws {
        let site = try Site()
        let app = site.app()
        for (path, query) in [
            ("/api/builds/1/log", ["after": "", "level": ""]), ("/api/builds", ["job": "", "status": ""]),
            ("/", ["status": ""]),
        ] {
            let empty = app.respond(Self.get(path, query: query))
            #expect(empty.status == 200, "\(path) \(query)")
            #expect(empty.text == app.respond(Self.get(path)).text, "\(path) \(query)")
        }
    }

    @Test func theLogAPIReturnsEntriesAfterASequenceNumberAtALevel() throws {
        let site = try Site()
        let app = site.app()
        let all = app.respond(Self.get("/api/builds/1/log", query: ["after": "1"])).text
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(all.utf8)) as? [String: Any])
        let entries = try #require(object["entries"] as? [[String: Any]])
        #expect(entries.map { $0["seq"] as? Int } == [2, 3])
        #expect(entries[0]["text"] as? String == "<script>alert('x')</script>")
        #expect(object["last_seq"] as? Int == 3)
        #expect(object["finished"] as? Bool == false)
        let warnings = app.respond(Self.get("/api/builds/1/log", query: ["level": "warning"])).text
        #expect(
            warnings.contains("\"seq\":2") && !warnings.contains("\"seq\":1,")
                && !warnings.contains("\"seq\":3"))
    }

    /// A tester polling with `after=last_seq` got `"last_seq":null` once
    /// no line followed, and then sent `after=null`.
    @Test func theLogAPIPastTheLastEntryReturnsTheAfterItWasGiven() throws {
        let site = try Site()
        let text = site.app().respond(Self.get("/api/builds/1/log", query: ["after": "9"])).text
        #expect(
            text == #"{"v":1,"build":1,"status":"running","finished":false,"last_seq":9,"more":false,"entries":[]}"#)
    }

    /// A tester's job reported 300,000 groups: a 53 MB page and a 32 MB
    /// answer to each poll. The first 500 nodes are sent, then a count.
    @Test func aHugeProgressTreeIsCutAfterFiveHundredNodes() throws {
        let now = Date()
        let records = (0..<600).map { index in
            ProgressRecord(
                build: 1, group: ["g\(index)"], current: 1, total: 2, status: nil, updatedAt: now)
        }
        let progress = WebProgress(records)
        #expect(progress.nodes.count == 500)
        #expect(progress.hidden == 101)  // 601 nodes with the total
        #expect(progress.html.hasSuffix("<p class=\"muted\">... 101 more nodes</p></div>"))
        let build = BuildRecord(id: 1, job: "j", status: .running, createdAt: now)
        #expect(progress.json(build: build).hasSuffix(#""status":null}],"more_nodes":101}"#))
    }

    @Test func theProgressAPIReturnsTheTreeWithPercentages() throws {
        let site = try Site()
        let text = site.app().respond(Self.get("/api/builds/1/progress")).text
        #expect(
            text == """
                {"v":1,"build":1,"status":"running","nodes":[\
                {"v":1,"group":[],"name":"Total","current":5,"total":20,"percent":25,"status":"page 5"},\
                {"v":1,"group":["images"],"name":"images","current":1,"total":null,"percent":null,"status":null}],"more_nodes":0}
                """)
    }

    @Test func aScriptInALogLineOrTitleStaysText() throws {
        let site = try Site()
        let page = site.app().respond(Self.get("/builds/1")).text
        #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(!page.contains("<script>alert"))
        let jobs = site.app().respond(Self.get("/")).text
        #expect(jobs.contains("Crawl &lt;the&gt; site"))
    }

    @Test func theBuildPageShowsProgressAndFollowsARunningBuild() throws {
        let site = try Site()
        let page = site.app().respond(Self.get("/builds/1")).text
        #expect(page.contains("data-live-build"))
        #expect(
            page.contains(
                "<progress max=\"100\" value=\"25\"></progress><span class=\"pfig\">5/20 · 25%</span>"
            ))
        #expect(page.contains("<meta http-equiv=\"refresh\" content=\"2\">"))
        let filtered = site.app().respond(Self.get("/builds/1", query: ["level": "warning"])).text
        #expect(!filtered.contains("fetched page 1"))
    }

    @Test func theJobPageMasksSecretsAndLinksDependents() throws {
        let site = try Site()
        let page = site.app().respond(Self.get("/jobs/crawl")).text
        #expect(!page.contains("hunter2"))
        #expect(page.contains("<tr><th>env</th><td><pre>API_KEY=!secret api_key</pre></td></tr>"))
        #expect(page.contains("<tr><th>command</th><td><pre>crawl.sh</pre></td></tr>"))
        #expect(page.contains("<a href=\"/jobs/report\">report</a>"))
    }

    @Test func aSecretValueThatArrivedThroughEnvIsMaskedOnTheJobPage() {
        var job = testJob("inline", command: .shell("echo abcdSECRETxyz"))
        job.env = [Job.EnvEntry(name: "X", value: .text("abcdSECRETxyz"))]
        job.secretValues = ["abcdSECRETxyz"]
        let html = JobDefinitionView(job: job).html
        #expect(!html.contains("abcdSECRETxyz"))
        #expect(html.contains("echo ***"))
        #expect(html.contains("X=&#39;***&#39;"))
    }

    @Test func aProtectedJobHasADisabledButtonAndAnArmControl() throws {
        let site = try Site()
        let page = site.app().respond(Self.get("/")).text
        #expect(
            page.contains(
                "<button class=\"danger\" disabled title=\"protected: arm first\">build</button> <a class=\"arm\" data-form=\"f-publish\" href=\"/jobs/publish/arm\">arm</a>"
            ))
        let arm = site.app().respond(Self.get("/jobs/publish/arm"))
        #expect(arm.status == 200)
        #expect(arm.text.contains("<input type=\"hidden\" name=\"armed\" value=\"1\">"))
    }

    @Test func anUnarmedProtectedBuildAsksForConfirmation() throws {
        let site = try Site()
        let response = site.app().respond(
            Self.post("/jobs/publish/build", body: "csrf=csrf-token-for-tests"))
        #expect(response.status == 409)
        #expect(response.text.contains("Build protected job publish?"))
    }

    struct RefusalCase: CustomTestStringConvertible, Sendable {
        var name: String
        var request: WebRequest
        var readOnly = false
        var token: String? = nil
        var status: Int
        var message: String
        var testDescription: String { name }
    }

    static let refusals: [RefusalCase] = [
        RefusalCase(
            name: "POST without a CSRF token", request: post("/jobs/crawl/build", body: ""),
            status: 403,
            message: "missing or wrong CSRF token; reload the page and try again\n"),
        RefusalCase(
            name: "POST with a wrong CSRF token",
            request: post("/build-outdated", body: "csrf=guess"), status: 403,
            message: "missing or wrong CSRF token; reload the page and try again\n"),
        RefusalCase(
            name: "POST from another origin",
            request: post(
                "/jobs/crawl/build", body: "csrf=csrf-token-for-tests",
                headers: ["origin": "http://evil.example"]),
            status: 403,
            message:
                "cross-origin request refused: Origin 'http://evil.example' is not this server\n"),
        RefusalCase(
            name: "a Host that is not loopback (DNS rebinding)",
            request: get("/jobs/crawl", headers: ["host": "evil.example:5050"]), status: 403,
            message: "unexpected Host 'evil.example:5050'; open the page at 127.0.0.1\n"),
        // Under /api/ a refusal is the API's JSON error, as every other one.
        RefusalCase(
            name: "an API request from a Host that is not loopback",
            request: get("/api/jobs", headers: ["host": "evil.example:5050"]), status: 403,
            message:
                #"{"v":1,"error":"unexpected Host 'evil.example:5050'; open the page at 127.0.0.1"}"#),
        RefusalCase(
            name: "a request without a Host header",
            request: WebRequest(method: "GET", path: "/api/jobs"), status: 400,
            message: #"{"v":1,"error":"a request needs a Host header"}"#),
        RefusalCase(
            name: "POST on a read-only server",
            request: post("/jobs/crawl/build", body: "csrf=csrf-token-for-tests"),
            readOnly: true, status: 403,
            message: "this server is read-only (--read-only); nothing can be started here\n"),
        RefusalCase(
            name: "GET without the access token", request: get("/api/jobs"),
            token: "0123456789abcdef", status: 401,
            message:
                #"{"v":1,"error":"access token required: send 'Authorization: Bearer TOKEN' or open /?token=TOKEN once"}"#
        ),
        RefusalCase(
            name: "GET with a wrong access token",
            request: get("/", headers: ["authorization": "Bearer 0123456789abcdeX"]),
            token: "0123456789abcdef",
            status: 401,
            message:
                "access token required: send 'Authorization: Bearer TOKEN' or open /?token=TOKEN once\n"
        ),
        RefusalCase(
            name: "a PUT",
            request: WebRequest(method: "PUT", path: "/", headers: ["host": "127.0.0.1"]),
            status: 405,
            message: "method PUT not allowed\n"),
        RefusalCase(
            name: "a build button with no launcher",
            request: post("/jobs/crawl/build", body: "csrf=csrf-token-for-tests"), status: 503,
            message: "this server cannot start builds\n"),
    ]

    @Test(arguments: refusals)
    func refusedRequestsSayWhy(_ item: RefusalCase) throws {
        let site = try Site()
        let response = site.app(readOnly: item.readOnly, token: item.token).respond(item.request)
        #expect(response.status == item.status)
        #expect(response.text == item.message)
    }

    @Test func theAccessTokenWorksAsHeaderCookieOrOneTimeQuery() throws {
        let site = try Site()
        let app = site.app(token: "0123456789abcdef", loopback: false)
        let header = app.respond(
            Self.get("/api/jobs", headers: ["authorization": "Bearer 0123456789abcdef"]))
        #expect(header.status == 200)
        let lowerCase = app.respond(
            Self.get("/api/jobs", headers: ["authorization": "bearer 0123456789abcdef"]))
        #expect(lowerCase.status == 200)
        var cookie = Self.get("/api/jobs")
        cookie.cookies = ["jcrun_token": "0123456789abcdef"]
        #expect(app.respond(cookie).status == 200)
        let login = app.respond(Self.get("/jobs/crawl", query: ["token": "0123456789abcdef"]))
        #expect(login.status == 303)
        #expect(
            login.headers.map { "\($0.0): \($0.1)" } == [
                "Location: /jobs/crawl",
                "Set-Cookie: jcrun_token=0123456789abcdef; Path=/; HttpOnly; SameSite=Strict",
            ])
    }

    /// The rest of the address survives the token's move to a cookie (a
    /// tester's `?status=failed&page=2&token=T` lost its filter).
    @Test func theTokenLoginRedirectKeepsTheRestOfTheQuery() throws {
        let site = try Site()
        let app = site.app(token: "0123456789abcdef", loopback: false)
        let login = app.respond(
            Self.get(
                "/jobs/crawl",
                query: ["status": "failed", "page": "2", "token": "0123456789abcdef", "q": "a&b=c d"]))
        #expect(login.status == 303)
        #expect(login.headers.first?.1 == "/jobs/crawl?page=2&q=a%26b%3Dc%20d&status=failed")
    }

    @Test func theTokenLoginRedirectCannotCarryHeaders() throws {
        let site = try Site()
        let app = site.app(token: "0123456789abcdef", loopback: false)
        let login = app.respond(
            Self.get("/x\r\nSet-Cookie: a=b", query: ["token": "0123456789abcdef"]))
        #expect(login.headers.first?.1 == "/x%0D%0ASet-Cookie:%20a=b")
    }

    @Test func aReadOnlyServerShowsNoWorkingButtons() throws {
        let site = try Site()
        let page = site.app(readOnly: true).respond(Self.get("/")).text
        #expect(!page.contains("method=\"post\""))
        #expect(page.contains("<span class=\"ro\">read-only</span>"))
    }

    @Test func formsCarryTheCSRFToken() throws {
        let site = try Site()
        let page = site.app().respond(Self.get("/")).text
        #expect(
            page.contains(
                "<form class=\"inline\" method=\"post\" action=\"/jobs/crawl/build\" id=\"f-crawl\"><input type=\"hidden\" name=\"csrf\" value=\"csrf-token-for-tests\"><button>build</button></form>"
            ))
    }
}
