import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `jcrun web` against what a tester threw at it: malformed POST bodies,
/// idle connections, `%00` in a path, a short `JCRUN_WEB_TOKEN`; and control
/// characters in a failed job's log tail on stderr.
@Suite(.serialized)
struct WebHardeningServerTests {
    static let jobs = """
        jobs:
          - id: ok
            command: "echo ok"
          - id: bad
            command: |
              printf '\\001\\033[1mbold\\n'
              exit 3

        """

    static func project() throws -> WebProject {
        let project = try WebProject()
        try jobs.write(
            to: project.dir.appendingPathComponent("jobs.d/web.yaml"), atomically: true,
            encoding: .utf8)
        return project
    }

    @Test func malformedPostBodiesAreRefusedAndTheServerLives() throws {
        let project = try Self.project()
        defer { project.remove() }
        let server = try WebServerProcess(project: project.dir)
        for body in ["a b", "x=\"y\"", "x=%zz", "{\"csrf\": 1}"] {
            let reply = try server.post("/jobs/ok/build", form: body)
            #expect(reply.status == 403, "\(body)")
        }
        #expect(try server.get("/api/jobs").status == 200)
        #expect(server.stop().status == 0)
    }

    /// About 470 query parameters filled libmicrohttpd's memory for the
    /// connection and the server closed it with no reply at all.
    @Test func tooManyQueryParametersGet414AndAFewHundredStillWork() throws {
        let project = try Self.project()
        defer { project.remove() }
        let server = try WebServerProcess(project: project.dir)
        // 5,000 make a request line longer than libmicrohttpd reads: its own 414.
        for count in [201, 600, 5000] {
            let query = (0..<count).map { "a\($0)=1" }.joined(separator: "&")
            let reply = try server.get("/api/jobs?" + query)
            #expect(reply.status == 414, "\(count)")
            if count < 5000 {
                // An API error is JSON, as every other one.
                #expect(
                    reply.body == #"{"v":1,"error":"too many query parameters (at most 200)"}"#,
                    "\(count)")
            }
        }
        let allowed = (0..<200).map { "a\($0)=1" }.joined(separator: "&")
        #expect(try server.get("/api/jobs?" + allowed).status == 200)
        #expect(try server.get("/api/jobs").status == 200)
        #expect(server.stop().status == 0)
    }

    @Test func aNulEscapeInThePathIsNotTheBuild() throws {
        let project = try Self.project()
        defer { project.remove() }
        #expect(try project.jcrun(["build", "ok", "-q"]).status == 0)
        let server = try WebServerProcess(project: project.dir)
        #expect(try server.get("/builds/1").status == 200)
        #expect(try server.get("/builds/1%00").status == 404)
        #expect(try server.get("/api/builds/1%00").status == 404)
        #expect(try server.get("/static/app.js%00").status == 404)
        #expect(try server.get("/api/builds/%31").status == 200)
        #expect(server.stop().status == 0)
    }

    /// More idle connections than the old limit of 128, each sending half a request.
    @Test func idleConnectionsDoNotStarveARequest() throws {
        let project = try Self.project()
        defer { project.remove() }
        let server = try WebServerProcess(project: project.dir)
        var idle: [Int32] = []
        defer { for fd in idle { close(fd) } }
        for _ in 0..<150 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(server.port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            #expect(connected == 0)
            let half = Array("GET / HTTP/1.1\r\n".utf8)
            _ = half.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            idle.append(fd)
        }
        usleep(200_000)
        // Not a timing assertion: the old server answered only once the idle
        // connections timed out (30 s); 15 s without an answer means starved.
        #expect(Self.answers(port: server.port, within: 15).hasPrefix("HTTP/1.1 200"))
        #expect(server.stop().status == 0)
    }

    /// The reply's first bytes to `GET /api/jobs`, or "" when none came within `seconds`.
    static func answers(port: Int, within seconds: Int) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return "" }
        let request = Array(
            "GET /api/jobs HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }

    /// Refused before anything is bound: `--bind nowhere` is never reached.
    @Test func aShortTokenInTheEnvironmentIsRefused() throws {
        let project = try Self.project()
        defer { project.remove() }
        let result = try Jcrun.run(
            ["web", "--bind", "nowhere", "--port", "0"], in: project.dir,
            environment: ["JCRUN_WEB_TOKEN": "short"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: JCRUN_WEB_TOKEN: cannot use as access token: the token must be at least 16 characters\n"
        )
    }

    @Test(arguments: [["build", "bad"], ["build", "bad", "-q"]])
    func aFailedLogTailShowsControlCharactersVisibly(_ arguments: [String]) throws {
        let project = try Self.project()
        defer { project.remove() }
        let result = try Jcrun.run(arguments, in: project.dir)
        #expect(result.status != 0)
        #expect(result.stderr.contains("\\x01\\x1b[1mbold"))
        #expect(!result.stderr.unicodeScalars.contains { $0.value == 1 || $0.value == 0x1b })
        // `jcrun log` shows them too; `--raw` gives the job's bytes back.
        let log = try Jcrun.run(["log", "1"], in: project.dir)
        #expect(log.stdout.contains("\\x01\\x1b[1mbold"))
        #expect(!log.stdout.unicodeScalars.contains { $0.value == 1 || $0.value == 0x1b })
        let raw = try Jcrun.run(["log", "1", "--raw"], in: project.dir)
        #expect(raw.stdout.contains("\u{1}\u{1b}[1mbold"))
    }
}
