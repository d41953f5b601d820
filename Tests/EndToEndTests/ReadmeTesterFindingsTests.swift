import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a fresh tester found using jcrun from its README: text views that
/// showed a failure kind as a status, `--json` that printed text, web errors
/// that were not JSON, messages that named the wrong thing, and details.
@Suite(.serialized)
struct ReadmeTesterFindingsTests {
    static func masked(_ text: String) -> String {
        TestProject.maskTimes(text).replacingOccurrences(
            of: #"last seen at \S+\)?"#, with: "last seen at T", options: .regularExpression)
    }

    // MARK: 1. a kind is never a status

    @Test func aBuildWhoseRunnerDiedIsFailedWithTheKindAsDetail() throws {
        let project = try TestProject(["main.yaml": RunnerSafetyTests.orphaning])
        defer { project.remove() }
        let orphan = try RunnerSafetyTests.killJcrunMidBuild(in: project)
        defer { kill(orphan, SIGKILL) }
        let builds = try project.run(["builds"])
        #expect(builds.status == 0)
        #expect(Self.masked(builds.stdout) == "#1  slow  failed  T  T  runner died; last seen at T\n")
        let show = try project.run(["show-build", "1"])
        let first = show.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(Self.masked(first) == "#1 slow  failed in T (runner died; last seen at T")
        #expect(!show.stdout.contains("runner died in"))
    }

    // MARK: 2. --json prints JSON or is refused

    @Test func listIdsWithJsonIsRefusedNamingBothOptions() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: a\n    command: 'true'\n"])
        defer { project.remove() }
        let result = try project.run(["list", "--ids", "--json"])
        #expect(result.status == 2)
        #expect(result.stdout == "")
        #expect(
            result.stderr
                == "jcrun: error: options '--ids' and '--json' cannot be used together; 'jcrun list --json' prints each job's id in its object\n"
        )
        #expect(try project.run(["list", "--ids"]).stdout == "a\n")
    }

    /// A second tester found text with exit 0 under `--json`: help,
    /// the version, and `show-build --retval`.
    @Test(arguments: [
        (["--json", "--version"], "'--version' has no JSON output; leave out '--json'"),
        (["--json", "help"], "'help' has no JSON output; leave out '--json'"),
        (["--json", "list", "--help"], "'--help' has no JSON output; leave out '--json'"),
        (["show-build", "1", "--retval", "--json"],
         "options '--retval' and '--json' cannot be used together; 'jcrun show-build --json' carries the retval"),
    ])
    func textOnlyOutputsRefuseJson(arguments: [String], message: String) throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: a\n    command: 'echo @retval hi'\n"])
        defer { project.remove() }
        #expect(try project.run(["a"]).status == 0)
        let result = try project.run(arguments)
        #expect(result.status == 2)
        #expect(result.stdout == "")
        #expect(result.stderr == "jcrun: error: \(message)\n")
        #expect(try project.run(["show-build", "1", "--retval"]).stdout == "hi\n")
    }

    // MARK: 3. API errors are JSON

    @Test func apiRefusalsAreJSONAndATooLongTargetIs414() throws {
        let project = try WebProject()
        defer { project.remove() }
        let server = try WebServerProcess(project: project.dir)
        // 17,000 bytes of query: past jcrun's 16 KiB, short of libmicrohttpd's buffer.
        let long = "/api/jobs?x=" + String(repeating: "a", count: 17_000)
        let api = try server.get(long)
        #expect(api.status == 414)
        #expect(api.headers["content-type"] == "application/json")
        #expect(
            api.body
                == #"{"v":1,"error":"request target too long (at most 16384 bytes of path and query)"}"#)
        let page = try server.get("/?x=" + String(repeating: "a", count: 17_000))
        #expect(page.status == 414)
        #expect(page.body == "request target too long (at most 16384 bytes of path and query)\n")
        // Just within the limit is served.
        let within = "/api/jobs?x=" + String(repeating: "a", count: 16_384 - 12)
        #expect(try server.get(within).status == 200)
        // The request checks before the handler answer JSON under /api too.
        let method = try HTTPReply.send(
            port: server.port, method: "DELETE", path: "/api/jobs", headers: [:], body: "")
        #expect(method.status == 405)
        #expect(method.body == #"{"v":1,"error":"method DELETE not allowed"}"#)
        #expect(method.headers["allow"] == "GET, HEAD, POST")
        let post = try server.post("/api/jobs", form: "a=1")
        #expect(post.status == 403)
        #expect(
            post.body
                == #"{"v":1,"error":"missing or wrong CSRF token; reload the page and try again"}"#)
        #expect(server.stop().status == 0)
    }

    // MARK: 4, 5. messages name the file for what it is

    @Test func aSecondDocumentInJcrunYamlIsNotCalledAJobFile() throws {
        let project = try TestProject(
            ["main.yaml": "jobs:\n  - id: a\n    command: 'true'\n"],
            settings: "---\nvars: {}\n---\nvars: {}\n")
        defer { project.remove() }
        let result = try project.run(["list"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: jcrun.yaml:4:1: jcrun.yaml holds one YAML document; this is a second one\n"
        )
    }

    @Test func aFifoOrADeviceInJobsDirIsNamedForWhatItIs() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: a\n    command: 'true'\n"])
        defer { project.remove() }
        let jobs = project.dir.appendingPathComponent("jobs.d")
        #expect(mkfifo(jobs.appendingPathComponent("b.yaml").path, 0o644) == 0)
        #expect(symlink("/dev/zero", jobs.appendingPathComponent("c.yaml").path) == 0)
        let result = try project.run(["list"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: jobs.d/b.yaml: is a named pipe (FIFO), not a job file\njcrun: error: jobs.d/c.yaml: is a device, not a job file\n"
        )
    }

    // MARK: 6. short options with '='

    @Test(arguments: [
        (["a", "-j=2"], "jcrun: error: option '-j' takes its value without '=': write '-j 2', '-j2' or '--jobs=2'\n"),
        (["a", "-k=1"], "jcrun: error: option '-k' takes no value, got '1'\n"),
        (["a", "-Bk=1"], "jcrun: error: option '-k' in '-Bk=1' takes no value, got '1'\n"),
    ])
    func aShortOptionWithEqualsSaysHowToWriteIt(_ arguments: [String], _ message: String) throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: a\n    command: 'true'\n"])
        defer { project.remove() }
        let result = try project.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr == message)
        #expect(try project.run(["a", "-j2", "-q"]).status == 0)
    }

    // MARK: 7. system errors in lower case

    @Test func aJUnitReportThatCannotBeWrittenSaysSoInLowerCase() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: a\n    command: 'true'\n"])
        defer { project.remove() }
        let result = try project.run(["a", "-q", "--junit", "/dev/full"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: /dev/full: cannot write the JUnit report: no space left on device\n")
        // The build ran and is stored.
        #expect(Self.masked(try project.run(["builds"]).stdout) == "#1  a  successful  T  T  requested\n")
    }

    // MARK: 8. the PATH searched is printed once

    @Test func aProgramNotFoundPrintsThePathSearchedOnce() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: np\n    command: [nosuchprog_xyz]\n"])
        defer { project.remove() }
        let path = "/usr/bin:/bin:/tmp/fixc-nowhere"
        let result = try project.run(["np"], environment: ["PATH": path])
        #expect(result.status == 1)
        let masked = TestProject.maskTimes(result.stderr)
        #expect(
            masked == """
                [1/1] np started
                [1/1] np failed in T (program 'nosuchprog_xyz' not found in PATH)
                0 built, 1 failed in T
                  np  #1  failed in T (program 'nosuchprog_xyz' not found in PATH)

                np #1 failed (program 'nosuchprog_xyz' not found in PATH (\(path))), no output
                see all: jcrun log #1

                """)
    }

    // MARK: 9. display width, NO_COLOR

    @Test func wideIdsAlignTheSummary() throws {
        let project = try TestProject([
            "main.yaml": "jobs:\n  - id: \"🚀\"\n    command: 'true'\n  - id: abcd\n    command: 'true'\n"
        ])
        defer { project.remove() }
        let result = try project.run(["abcd", "🚀", "-j", "1"])
        #expect(result.status == 0)
        let lines = TestProject.maskTimes(result.stderr).split(separator: "\n").filter {
            $0.hasPrefix("  ")
        }
        #expect(lines == ["  abcd  #1  successful in T", "  🚀    #2  successful in T"])
    }

    @Test func anEmptyNoColorLeavesColourOn() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: a\n    command: 'true'\n"])
        defer { project.remove() }
        let empty = try TerminalViewTests.runOnTerminal(
            ["a", "-B"], in: project.dir, environment: ["NO_COLOR": ""])
        #expect(empty.status == 0)
        #expect(empty.screen.contains("\u{1B}[32msuccessful\u{1B}[0m"))
        let set = try TerminalViewTests.runOnTerminal(
            ["a", "-B"], in: project.dir, environment: ["NO_COLOR": "1"])
        #expect(set.status == 0)
        #expect(set.screen.contains("successful"))
        #expect(!set.screen.contains("\u{1B}[32m"))
    }
}
