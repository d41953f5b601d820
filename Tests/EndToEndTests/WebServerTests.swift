import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `jcrun web` as a process: the printed address, pages and JSON over real
/// HTTP on a free loopback port, the refusals, and a clean stop.
@Suite(.serialized)
struct WebServerTests {
    @Test func itPrintsItsAddressServesPagesAndStopsCleanlyOnSIGTERM() throws {
        let project = try WebProject()
        defer { project.remove() }
        let server = try WebServerProcess(project: project.dir)
        #expect(server.address == "http://127.0.0.1:\(server.port)/")

        let jobs = try server.get("/")
        #expect(jobs.status == 200)
        #expect(jobs.headers["content-type"] == "text/html; charset=utf-8")
        #expect(jobs.body.contains("<a href=\"/jobs/progress\">progress</a>"))
        #expect(jobs.body.contains("Count to twenty &lt;slowly&gt;"))
        #expect(jobs.headers["content-security-policy"]?.hasPrefix("default-src 'self'") == true)

        let api = try server.get("/api/jobs")
        #expect(api.status == 200)
        #expect(api.json["v"] as? Int == 1)
        let list = api.json["jobs"] as? [[String: Any]] ?? []
        #expect(list.map { $0["id"] as? String } == ["progress", "report", "publish"])
        #expect(list.map { $0["status"] as? String } == ["not built", "not built", "not built"])

        #expect(try server.get("/jobs/nope").status == 404)
        #expect(try server.get("/builds/42").status == 404)
        #expect(try server.get("/api/builds/42").json["error"] as? String == "no build 42")
        #expect(try server.get("/api/builds?status=odd").status == 400)
        #expect(try server.get("/graph").body.contains("<svg"))
        #expect(try server.get("/static/style.css").status == 200)

        let (status, stderr) = server.stop(SIGTERM)
        #expect(status == 0)
        let lines = stderr.split(separator: "\n").map {
            String($0.split(separator: " ").dropLast().joined(separator: " "))
        }
        #expect(lines.contains("web: GET / 200"))
        #expect(lines.contains("web: GET /jobs/nope 404"))
        #expect(stderr.hasSuffix("web: stopped\n"))
    }

    @Test func aPostWithoutTheCSRFTokenIsRefused() throws {
        let project = try WebProject()
        defer { project.remove() }
        let server = try WebServerProcess(project: project.dir)
        let reply = try server.post("/jobs/progress/build", form: "")
        #expect(reply.status == 403)
        #expect(reply.body == "missing or wrong CSRF token; reload the page and try again\n")
        let foreign = try server.post(
            "/build-outdated", form: "csrf=\(try server.csrfToken())",
            headers: ["Origin": "http://evil.example"])
        #expect(foreign.status == 403)
        #expect(
            foreign.body
                == "cross-origin request refused: Origin 'http://evil.example' is not this server\n"
        )
        #expect(server.stop(SIGINT).status == 0)
    }

    @Test func aReadOnlyServerRefusesEveryAction() throws {
        let project = try WebProject()
        defer { project.remove() }
        let server = try WebServerProcess(project: project.dir, extra: ["--read-only"])
        let page = try server.get("/").body
        #expect(!page.contains("method=\"post\""))
        let reply = try server.post("/build-outdated", form: "csrf=anything")
        #expect(reply.status == 403)
        #expect(
            reply.body == "this server is read-only (--read-only); nothing can be started here\n")
        #expect(server.stop().status == 0)
    }

    @Test func aTokenFileGuardsEveryRequest() throws {
        let project = try WebProject()
        defer { project.remove() }
        let tokenFile = project.dir.appendingPathComponent("token")
        try "s3cret-token-0123456789\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        let server = try WebServerProcess(
            project: project.dir, extra: ["--token-file", tokenFile.path])
        let refused = try server.get("/api/jobs")
        #expect(refused.status == 401)
        #expect(
            refused.body
                == #"{"v":1,"error":"access token required: send 'Authorization: Bearer TOKEN' or open /?token=TOKEN once"}"#
        )
        #expect(
            try server.get(
                "/api/jobs", headers: ["Authorization": "Bearer s3cret-token-0123456789"]
            ).status == 200)
        #expect(
            try server.get("/", headers: ["Cookie": "jcrun_token=s3cret-token-0123456789"]).status
                == 200)
        #expect(server.stop().status == 0)
    }

    /// Quick jobs: `report` needs `crawl`; `publish` is protected and needs `report`.
    static let quickJobs = """
        jobs:
          - id: crawl
            command: "echo '@progress 1/1'; echo '@retval 7'"
          - id: report
            command: "echo report"
            dependencies: [crawl]
          - id: publish
            command: "echo publish"
            dependencies: [report]
            protect: true

        """

    /// Polls `/api/jobs` until `done` holds for the statuses (at most a minute).
    static func waitForStatuses(
        _ server: WebServerProcess, until done: ([String: String]) -> Bool
    ) throws -> [String: String] {
        var statuses: [String: String] = [:]
        for _ in 0..<600 {
            let jobs = try server.get("/api/jobs").json["jobs"] as? [[String: Any]] ?? []
            statuses = Dictionary(
                uniqueKeysWithValues: jobs.map {
                    ($0["id"] as? String ?? "", $0["status"] as? String ?? "")
                })
            if done(statuses) { break }
            usleep(100_000)
        }
        return statuses
    }

    static func statusList(_ server: WebServerProcess) throws -> [String] {
        let jobs = try server.get("/api/jobs").json["jobs"] as? [[String: Any]] ?? []
        return jobs.map { $0["status"] as? String ?? "?" }
    }

    @Test(.bug(id: 9)) func aBuildOfTheCommandLineShowsOnThePageAlreadyOpen() throws {
        let project = try WebProject()
        defer { project.remove() }
        let server = try WebServerProcess(project: project.dir)
        #expect(try Self.statusList(server) == ["not built", "not built", "not built"])
        #expect(try server.get("/").body.contains("<span class=\"badge s-not-built\">"))
        let run = try project.jcrun(["report", "-q"])
        #expect(run.status == 0)
        #expect(try Self.statusList(server) == ["successful", "successful", "not built"])
        #expect(try server.get("/").body.contains("<span class=\"badge s-successful\">"))
    }

    @Test(.bug(id: 9)) func aBuildWhoseRunnerWasKilledShowsFailedNotRunning() throws {
        let project = try TestProject(["main.yaml": RunnerSafetyTests.orphaning])
        defer { project.remove() }
        let orphan = try RunnerSafetyTests.killJcrunMidBuild(in: project)
        defer { kill(orphan, SIGKILL) }
        let server = try WebServerProcess(project: project.dir)
        #expect(try Self.statusList(server) == ["failed"])
        let build = try server.get("/api/builds/1").json
        #expect(build["status"] as? String == "failed")
        #expect(build["failure_kind"] as? String == "runner_died")
        // Its process group was killed; the kill lands a moment later.
        #expect(RunnerSafetyTests.ends(orphan))
        #expect(!server.stop().stderr.contains("warning"))
    }

    @Test func buildOutdatedLeavesTheProtectedJobAndArmingBuildsIt() throws {
        let project = try WebProject()
        defer { project.remove() }
        try Self.quickJobs.write(
            to: project.dir.appendingPathComponent("jobs.d/web.yaml"), atomically: true,
            encoding: .utf8)
        let server = try WebServerProcess(project: project.dir)
        let csrf = try server.csrfToken()

        // "build outdated" runs the CLI's planner: the protected job is left out.
        let outdated = try server.post("/build-outdated", form: "csrf=\(csrf)")
        #expect(outdated.status == 303)
        #expect(outdated.headers["location"] == "/")
        let after = try Self.waitForStatuses(server) { $0["report"] == "successful" }
        #expect(after == ["crawl": "successful", "report": "successful", "publish": "not built"])

        // Unarmed, the protected job's button only asks; armed, it builds.
        let unarmed = try server.post("/jobs/publish/build", form: "csrf=\(csrf)")
        #expect(unarmed.status == 409)
        #expect(unarmed.body.contains("Build protected job publish?"))
        let armed = try server.post("/jobs/publish/build", form: "csrf=\(csrf)&armed=1")
        #expect(armed.status == 303)
        let built = try Self.waitForStatuses(server) { $0["publish"] == "successful" }
        #expect(built["publish"] == "successful")
        // The build row turns successful before the child exits: wait for its end.
        for _ in 0..<300 where !server.stderrText.contains("--allow-protected) ended") {
            usleep(100_000)
        }
        let log = server.stop().stderr
        #expect(log.contains("jcrun build publish --allow-protected) ended: exit 0"))
    }

    struct RefusalCase: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var stderr: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    /// Refused before anything is bound: 0.0.0.0 is never listened on here.
    static let refusals: [RefusalCase] = [
        RefusalCase(
            arguments: ["web", "--bind", "0.0.0.0", "--port", "0"],
            stderr:
                "jcrun: error: refusing to serve on 0.0.0.0 without an access token; pass --token-file FILE or set JCRUN_WEB_TOKEN, or bind to 127.0.0.1\n"
        ),
        RefusalCase(
            arguments: ["web", "--bind", "example.com"],
            stderr:
                "jcrun: error: option '--bind' expects an IP address such as 127.0.0.1 or ::1, got 'example.com'\n"
        ),
        RefusalCase(
            arguments: ["web", "--port", "70000"],
            stderr: "jcrun: error: option '--port' expects a number from 0 to 65535, got '70000'\n"),
        RefusalCase(
            arguments: ["web", "--token-file", "missing-token"],
            stderr: "jcrun: error: missing-token: cannot use as token file: it cannot be read\n"),
    ]

    @Test(arguments: refusals)
    func itRefusesToStartWithExitStatus2(_ item: RefusalCase) throws {
        let project = try WebProject()
        defer { project.remove() }
        let result = try project.jcrun(item.arguments)
        #expect(result.status == 2)
        #expect(result.stderr == item.stderr)
    }

    @Test func aTakenPortIsRefusedWithExitStatus2() throws {
        let project = try WebProject()
        defer { project.remove() }
        let first = try WebServerProcess(project: project.dir)
        let second = try project.jcrun(["web", "--port", String(first.port)])
        #expect(second.status == 2)
        #expect(
            second.stderr
                == "jcrun: error: 127.0.0.1:\(first.port) is already in use; choose another --port, or --port 0 for a free one\n"
        )
        #expect(first.stop().status == 0)
    }
}
