import Foundation

/// The web page's routes: checks each request against `WebSecurity`, then
/// answers pages, JSON and the build buttons from a `WebSource`.
public final class WebApp: @unchecked Sendable {
    public let security: WebSecurity
    private let source: WebSource
    private let launcher: WebBuildLauncher?
    private let clock: @Sendable () -> Date
    /// How long a build button waits for the child's build row, to open its page.
    var buildRowWait: TimeInterval = 3
    /// What was made from the newest status (`WebJobStatus.serial`): the
    /// jobs page's rows and `/api/jobs`, neither of which changes with the clock.
    private let madeLock = NSLock()
    private var jobsRows: JobsPage.Rows?
    private var jobsJSON: (serial: Int, body: String)?

    /// `launcher` nil: buttons answer 503 (tests of pages only).
    public init(
        security: WebSecurity, source: WebSource, launcher: WebBuildLauncher?,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.security = security
        self.source = source
        self.launcher = launcher
        self.clock = clock
    }

    public func respond(_ request: WebRequest) -> WebResponse {
        // `x=` is no `x` at all, for every parameter alike (a form's empty
        // field): `after=` was refused, `job=` an unknown job, `level=` ignored.
        var request = request
        request.query = request.query.filter { !$0.value.isEmpty }
        if let refusal = security.refusal(for: request) {
            return WebAPI.isAPI(request.path) ? WebAPI.asJSON(refusal) : refusal
        }
        if let token = request.query["token"], security.accessToken != nil {
            return tokenLogin(token, path: request.path, query: request.query)
        }
        do {
            return try route(request)
        } catch let error as BadParameter {
            return failure(error.description, request, status: 400)
        } catch let error as ConfigErrors {
            // The lines the command line prints, without its `jcrun: error: `.
            let lines = error.formatted().map { line in
                line.hasPrefix("jcrun: error: ") ? String(line.dropFirst(14)) : line
            }
            let message = "the job definitions do not load:\n" + lines.joined(separator: "\n")
            return failure(message, request, status: 500)
        } catch {
            return failure("\(error)", request, status: 500)
        }
    }

    private func route(_ request: WebRequest) throws -> WebResponse {
        // Strict paths: `/builds/1/` and `//builds/1` are not `/builds/1`.
        guard request.path.hasPrefix("/") else { return notFound(request) }
        let parts = request.path.dropFirst().split(
            separator: "/", omittingEmptySubsequences: false
        ).map(String.init)
        if parts.count > 1 && parts.contains("") { return notFound(request) }
        let postOnly =
            (parts.count == 3 && parts[0] == "jobs" && parts[2] == "build")
            || (parts.count == 1 && parts[0] == "build-outdated")
        switch (request.method, parts.first ?? "") {
        case ("POST", "jobs") where postOnly:
            return try startBuild(job: parts[1], form: request.form)
        case ("POST", "build-outdated") where postOnly: return try startOutdated()
        case ("POST", _): return notFound(request)
        case (_, _) where postOnly:
            var response = WebResponse.text(
                "method \(request.method) not allowed: \(request.path) takes POST", status: 405)
            response.headers.append(("Allow", "POST"))
            return response
        case (_, "static") where parts.count == 2:
            return WebAssets.file(parts[1]) ?? notFound(request)
        case (_, "api"): return try api(Array(parts.dropFirst()), request)
        case (_, ""): return try jobsPage()
        case (_, "graph") where parts.count == 1: return try graphPage()
        case (_, "jobs") where parts.count == 2: return try jobPage(parts[1], request.query)
        case (_, "jobs") where parts.count == 3 && parts[2] == "arm": return try armPage(parts[1])
        case (_, "builds") where parts.count == 2: return try buildPage(parts[1], request.query)
        default: return notFound(request)
        }
    }

    // MARK: Pages

    private func jobsPage() throws -> WebResponse {
        let now = clock()
        let forms = WebForms(security: security)
        return try source.readStatus(now: now) { jobs, _, status in
            let previous = madeLock.withLock { jobsRows }
            let rows = kept(\.jobsRows, serial: status.serial, { $0.serial }) {
                JobsPage.rows(jobs: jobs, status: status, forms: forms, previous: previous)
            }
            return .html(JobsPage(jobs: jobs, rows: rows, forms: forms, now: now).html)
        }
    }

    /// The value kept at `path` when it was made from the status `serial`,
    /// else a new one from `make`, kept from now on (serial 0: never kept).
    private func kept<T>(
        _ path: ReferenceWritableKeyPath<WebApp, T?>, serial: Int, _ serialOf: (T) -> Int,
        _ make: () -> T
    ) -> T {
        if serial != 0, let value = madeLock.withLock({ self[keyPath: path] }),
            serialOf(value) == serial
        {
            return value
        }
        let value = make()
        if serial != 0 { madeLock.withLock { self[keyPath: path] = value } }
        return value
    }

    private func jobPage(_ id: String, _ query: [String: String]) throws -> WebResponse {
        let filter = try statusFilter(query)
        let page = try pageNumber(query)
        let now = clock()
        return try source.readStatus(now: now) { jobs, store, status in
            guard let job = jobs[id.precomposedStringWithCanonicalMapping] else {
                return unknownJob(id, jobs)
            }
            // One row more than a page tells whether there is a next page.
            let query = BuildQuery(
                job: job.id, status: filter, limit: JobPage.pageSize + 1,
                offset: (page - 1) * JobPage.pageSize)
            let shown = try store?.builds(query) ?? []
            let view = JobPage(
                job: job, graph: JobGraph(jobs), label: status.label(job.id),
                outdatedReason: status.outdated[job.id],
                builds: shown, statusFilter: filter, page: page,
                forms: WebForms(security: security), now: now)
            return .html(view.html)
        }
    }

    private func armPage(_ id: String) throws -> WebResponse {
        try source.read { jobs, _ in
            guard let job = jobs[id.precomposedStringWithCanonicalMapping] else {
                return unknownJob(id, jobs)
            }
            guard job.protect else {
                let body =
                    "<h1>\(HTML.escape(job.id)) is not protected</h1><p>Build it from its page: \(HTML.jobLink(job.id))</p>"
                return .html(
                    HTML.page(title: "Not found", body: body, readOnly: security.readOnly),
                    status: 404)
            }
            if security.readOnly {
                return .text(
                    "this server is read-only (--read-only); nothing can be started here",
                    status: 403)
            }
            return .html(WebForms(security: security).confirmation(job))
        }
    }

    private func buildPage(_ reference: String, _ query: [String: String]) throws -> WebResponse {
        let level = try levelFilter(query)
        return try source.readStore { store in
            guard let id = Self.buildID(reference), let store, let build = try store.build(id)
            else {
                return .html(
                    HTML.page(
                        title: "Not found", body: "<h1>No build \(HTML.escape(reference))</h1>"),
                    status: 404)
            }
            let log = try store.logs(
                LogQuery(build: id, minimumLevel: level, limit: BuildPage.logLimit, tail: true))
            let view = BuildPage(
                build: build, inputs: try store.inputs(of: id),
                consumers: try store.consumers(of: id),
                progress: WebProgress(try store.progress(of: id)), log: log, level: level,
                readOnly: security.readOnly)
            return .html(view.html)
        }
    }

    private func graphPage() throws -> WebResponse {
        try source.readStatus(now: clock()) { jobs, _, status in
            let labels = Dictionary(
                uniqueKeysWithValues: jobs.jobs.map { ($0.id, status.label($0.id)) })
            let svg = GraphSVG(jobs: jobs, labels: labels).svg
            let body = "<h1>Dependency graph</h1><div class=\"graphbox\">\(svg)</div>"
            return .html(HTML.page(title: "Graph", body: body, readOnly: security.readOnly))
        }
    }

    // MARK: JSON

    private func api(_ parts: [String], _ request: WebRequest) throws -> WebResponse {
        let query = request.query
        switch (parts.first ?? "", parts.count) {
        case ("builds", 2...3):
            // The live endpoints: the store only, the job files are not looked at.
            return try source.readStore { store in
                guard let id = Self.buildID(parts[1]), let store, let build = try store.build(id)
                else {
                    return WebAPI.error("no build \(parts[1])", status: 404)
                }
                return try buildAPI(
                    build, part: parts.count == 3 ? parts[2] : nil, query: query, store: store)
            }
        case ("jobs", 1...2):
            return try source.readStatus(now: clock()) { jobs, store, status in
                guard parts.count == 2 else {
                    let made = kept(\.jobsJSON, serial: status.serial, { $0.serial }) {
                        (status.serial, WebAPI.jobs(jobs, status: status))
                    }
                    return .json(made.body)
                }
                guard let job = jobs[parts[1].precomposedStringWithCanonicalMapping] else {
                    return WebAPI.error("unknown job '\(parts[1])'", status: 404)
                }
                let builds = try store?.builds(BuildQuery(job: job.id, limit: 20)) ?? []
                return .json(
                    WebAPI.jobDetail(job, status: status, graph: JobGraph(jobs), builds: builds))
            }
        default: break
        }
        return try source.read { jobs, store in
            switch (parts.first ?? "", parts.count) {
            case ("builds", 1):
                let filter = try statusFilter(query)
                guard let limit = Int(query["limit"] ?? "50"), (1...1000).contains(limit) else {
                    return WebAPI.error("limit must be a number from 1 to 1000", status: 400)
                }
                let job = query["job"].map { $0.precomposedStringWithCanonicalMapping }
                if let job, jobs[job] == nil {
                    return WebAPI.error("unknown job '\(job)'", status: 404)
                }
                let builds =
                    try store?.builds(BuildQuery(job: job, status: filter, limit: limit)) ?? []
                return .json(WebAPI.builds(builds))
            default:
                return WebAPI.error("no such endpoint: \(request.path)", status: 404)
            }
        }
    }

    private func buildAPI(
        _ build: BuildRecord, part: String?, query: [String: String], store: BuildStore
    ) throws -> WebResponse {
        switch part {
        case nil:
            return .json(
                WebAPI.build(
                    build, inputs: try store.inputs(of: build.id),
                    consumers: try store.consumers(of: build.id)))
        case "progress":
            // TODO(#9): the whole tree is read from the store on every poll and
            // only what is sent is capped, so a 300,000-node tree costs each poll.
            return .json(WebProgress(try store.progress(of: build.id)).json(build: build))
        case "log":
            guard let after = Int64(query["after"] ?? "0"), after >= 0 else {
                return WebAPI.error("after must be a log sequence number (0 or more)", status: 400)
            }
            let level = try levelFilter(query)
            var entries = try store.logs(
                LogQuery(
                    build: build.id, minimumLevel: level, afterSeq: after, limit: WebAPI.logPage + 1
                ))
            let more = entries.count > WebAPI.logPage
            if more { entries.removeLast() }
            return .json(WebAPI.log(build, entries: entries, more: more, after: after))
        default:
            return WebAPI.error(
                "no such endpoint: /api/builds/\(build.id)/\(part ?? "")", status: 404)
        }
    }

    // MARK: Actions

    private func startBuild(job id: String, form: [String: String]) throws -> WebResponse {
        let (job, newest) = try source.read { jobs, store in
            (
                jobs[id.precomposedStringWithCanonicalMapping],
                try store?.builds(BuildQuery(limit: 1)).first?.id ?? 0
            )
        }
        guard let job else { return .text("unknown job '\(id)'", status: 404) }
        if job.protect && form["armed"] != "1" {
            return .html(WebForms(security: security).confirmation(job), status: 409)
        }
        guard let launcher else { return .text("this server cannot start builds", status: 503) }
        let child = try launcher.start(
            ["build", job.id] + (job.protect ? ["--allow-protected"] : []))
        if let build = waitForBuild(of: job.id, after: newest, child: child) {
            return .redirect("/builds/\(build)")
        }
        if let ended = child.ended, ended.code != "exit 0" { return childFailed(child, ended) }
        return .redirect("/jobs/\(HTML.segment(job.id))")
    }

    /// The page for a child jcrun that ended without starting a build (a lock, a definition error).
    private func childFailed(_ child: WebChild, _ ended: (code: String, stderr: String))
        -> WebResponse
    {
        var body =
            "<h1>Nothing was started</h1><p><code>\(HTML.escape(child.command))</code> ended (\(ended.code)):</p>"
        body += "<pre>\(HTML.escape(ended.stderr))</pre><p><a href=\"/\">All jobs</a></p>"
        return .html(
            HTML.page(title: "Nothing started", body: body, readOnly: security.readOnly),
            status: 500)
    }

    private func startOutdated() throws -> WebResponse {
        guard let launcher else { return .text("this server cannot start builds", status: 503) }
        try launcher.start(["build-outdated"])
        return .redirect("/")
    }

    /// The child's build row of `job` newer than `after`, once it exists (or nil after `buildRowWait`).
    private func waitForBuild(of job: JobID, after: BuildID, child: WebChild) -> BuildID? {
        let deadline = Date().addingTimeInterval(buildRowWait)
        while Date() < deadline {
            let ended = child.ended != nil
            let found = try? source.readStore { store in
                try store?.builds(BuildQuery(job: job, limit: 1)).first?.id
            }
            if let found = found ?? nil, found > after { return found }
            if ended { return nil }
            usleep(50_000)
        }
        return nil
    }

    // MARK: Helpers

    /// `?token=T` once: the token moves to an HttpOnly cookie and out of the
    /// address bar; the rest of the query stays (in name order).
    private func tokenLogin(_ token: String, path: String, query: [String: String]) -> WebResponse {
        var location = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "/"
        let rest = query.filter { $0.key != "token" }.sorted { $0.key < $1.key }
        if !rest.isEmpty {
            let unreserved = CharacterSet(
                charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
            func encoded(_ text: String) -> String {
                text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
            }
            location += "?" + rest.map { encoded($0.key) + "=" + encoded($0.value) }.joined(separator: "&")
        }
        var response = WebResponse.redirect(location)
        response.headers.append(
            ("Set-Cookie", "\(WebSecurity.tokenCookie)=\(token); Path=/; HttpOnly; SameSite=Strict")
        )
        return response
    }

    private func statusFilter(_ query: [String: String]) throws -> BuildStatus? {
        guard let text = query["status"], !text.isEmpty else { return nil }
        guard let status = BuildStatus(rawValue: text) else {
            throw BadParameter("status", text, BuildStatus.allCases.map(\.rawValue))
        }
        return status
    }

    private func levelFilter(_ query: [String: String]) throws -> LogLevel? {
        guard let text = query["level"], !text.isEmpty else { return nil }
        guard let level = LogLevel(rawValue: text) else {
            throw BadParameter("level", text, LogLevel.allCases.map(\.rawValue))
        }
        return level
    }

    /// `?page=N`: 1 when absent, else a canonical number from 1 to `maxPage`.
    private func pageNumber(_ query: [String: String]) throws -> Int {
        guard let text = query["page"], !text.isEmpty else { return 1 }
        guard let page = Self.canonicalNumber(text), page <= Self.maxPage else {
            throw BadParameter(
                "parameter 'page' expects a number from 1 to \(Self.maxPage), got '\(text)'")
        }
        return Int(page)
    }

    /// The deepest page of a job's builds (the store steps over `(page - 1) * pageSize` rows).
    static let maxPage = 10_000

    /// `42`: digits only, no sign, no leading zero, above 0.
    static func buildID(_ text: String) -> BuildID? { canonicalNumber(text).map { BuildID($0) } }

    /// A positive decimal number written one way only (`1`, not `01`, `+1` or `1 `).
    static func canonicalNumber(_ text: String) -> Int64? {
        let bytes = text.utf8
        guard let first = bytes.first, first != UInt8(ascii: "0"), bytes.count <= 18,
            bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int64(text)
    }

    private func unknownJob(_ id: String, _ jobs: JobSet) -> WebResponse {
        let body = "<h1>No job \(HTML.escape(id))</h1><p><a href=\"/\">All jobs</a></p>"
        return .html(HTML.page(title: "Not found", body: body), status: 404)
    }

    private func notFound(_ request: WebRequest) -> WebResponse {
        if WebAPI.isAPI(request.path) {
            return WebAPI.error("no such endpoint: \(request.path)", status: 404)
        }
        let body =
            "<h1>Not found</h1><p>Nothing at \(HTML.escape(request.path)). <a href=\"/\">All jobs</a></p>"
        return .html(HTML.page(title: "Not found", body: body), status: 404)
    }

    private func failure(_ message: String, _ request: WebRequest, status: Int) -> WebResponse {
        if WebAPI.isAPI(request.path) { return WebAPI.error(message, status: status) }
        return .html(
            HTML.page(title: "Error", body: "<h1>Error</h1><pre>\(HTML.escape(message))</pre>"),
            status: status)
    }
}

/// A query parameter with a value outside its set or range (400).
struct BadParameter: Error, CustomStringConvertible {
    let description: String

    init(_ name: String, _ value: String, _ expected: [String]) {
        description =
            "parameter '\(name)' expects one of \(expected.joined(separator: ", ")), got '\(value)'"
    }

    init(_ description: String) { self.description = description }
}
