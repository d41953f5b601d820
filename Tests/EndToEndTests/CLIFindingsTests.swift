import Foundation
import Testing

/// The fourth tester's findings (README walk-through): each checked through
/// the built binary with its exact output and exit status.
struct CLIFindingsTests {
    static let twoJobs = """
        jobs:
          - id: a
            command: "echo hi"
          - id: b
            command: "echo b"
            dependencies: [a]

        """

    /// Runs `script` with `/bin/sh` in `dir`, `$JCRUN` naming the binary,
    /// for what needs a redirection (`>/dev/full`, `>&-`).
    static func shell(_ script: String, in dir: URL) throws -> Jcrun.Result {
        try Jcrun.run(
            [], in: dir, environment: ["NO_COLOR": "1"], executable: "/bin/sh",
            prefix: ["-c", script])
    }

    // MARK: A. a broken job file does not hide the stored builds

    static let definitionError =
        "jobs.d/main.yaml:6:20: job 'b' needs 'aa', which is not defined; did you mean 'a'?"

    static func warning(_ doing: String) -> String {
        "jcrun: warning: the job definitions do not load; \(doing); first error: \(definitionError)\n"
    }

    /// A project with builds #1 (a) and #2 (b), then b's dependency misspelt.
    static func brokenProject() throws -> TestProject {
        let project = try TestProject(["main.yaml": twoJobs])
        #expect(try project.run(["b", "-q"]).status == 0)
        try twoJobs.replacingOccurrences(of: "[a]", with: "[aa]").write(
            to: project.dir.appendingPathComponent("jobs.d/main.yaml"), atomically: true,
            encoding: .utf8)
        return project
    }

    @Test(arguments: [
        (["builds"], "showing the stored builds", "#2  b  successful"),
        (["builds", "b"], "showing the stored builds", "#2  b  successful"),
        (["show-build", "1"], "showing the stored build", "#1 a  successful"),
        (["show-build", "b"], "showing the stored build", "#2 b  successful"),
        (["log", "2"], "showing the stored log", " b\n"),
        (["log", "a"], "showing the stored log", " hi\n"),
        (["prune", "--logs-only", "--yes"], "thinning the stored logs", ""),
    ])
    func readingStoredBuildsWarnsOnceAndWorks(arguments: [String], doing: String, shown: String)
        throws
    {
        let project = try Self.brokenProject()
        defer { project.remove() }
        let result = try project.run(arguments)
        #expect(result.status == 0)
        let expected = arguments[0] == "prune"
            ? Self.warning(doing) + "jcrun: deleted 0 builds and 0 log lines\n"
            : Self.warning(doing)
        #expect(result.stderr == expected)
        #expect(shown.isEmpty || result.stdout.contains(shown))
    }

    @Test(arguments: [
        ["status"], ["list"], ["why", "a"], ["show", "a"], ["a"],
        ["prune", "--yes"], ["delete", "1", "--yes"],
    ])
    func whatNeedsTheDefinitionsStillFails(arguments: [String]) throws {
        let project = try Self.brokenProject()
        defer { project.remove() }
        let result = try project.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr == "jcrun: error: \(Self.definitionError)\n")
    }

    @Test func deleteWithForceNeedsOnlyTheStore() throws {
        let project = try Self.brokenProject()
        defer { project.remove() }
        let deleted = try project.run(["delete", "--force", "--yes", "2"])
        #expect(deleted.status == 0)
        #expect(
            deleted.stderr
                == Self.warning("deleting builds without their cleanup")
                + "jcrun: deleted build #2 of 'b'\n")
        let pruned = try project.run(["prune", "--force", "--yes", "--older-than", "0s"])
        #expect(pruned.status == 0)
        #expect(pruned.stderr.hasPrefix(Self.warning("deleting builds without their cleanup")))
        #expect(try project.run(["builds"]).stdout.contains("#1  a  successful"))
    }

    // MARK: B. a store the user can only read

    static var canDropPrivileges: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    }

    @Test(.enabled(if: canDropPrivileges))
    func aReadOnlyStoreIsRead() throws {
        let project = try TestProject(["main.yaml": Self.twoJobs])
        defer { project.remove() }
        #expect(try project.run(["a", "-q"]).status == 0)
        #expect(!project.exists(".jcrun/state.db-wal") && !project.exists(".jcrun/state.db-shm"))
        #expect(try Self.shell("chmod -R a+rX .", in: project.dir).status == 0)
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", Jcrun.binary.path]
        for (arguments, shown) in [
            (["status"], "a  successful  #1"), (["builds"], "#1  a  successful"),
            (["log", "1"], " hi\n"), (["why", "a"], "a: up to date\n"),
        ] {
            let result = try Jcrun.run(
                arguments, in: project.dir, environment: ["NO_COLOR": "1"],
                executable: "/usr/bin/setpriv", prefix: asNobody)
            #expect(result.status == 0, "\(arguments)")
            #expect(result.stderr == "", "\(arguments)")
            #expect(result.stdout.contains(shown), "\(arguments)")
        }
        // Nothing was made beside it.
        #expect(!project.exists(".jcrun/state.db-wal") && !project.exists(".jcrun/state.db-shm"))
    }

    /// A store this user cannot write is refused before any cleanup runs:
    /// `delete --force` ran the cleanup, then failed to delete the row.
    @Test(.enabled(if: canDropPrivileges))
    func aStoreThisUserCannotWriteIsRefusedBeforeTheCleanup() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: data
                command: "true"
                cleanup: "touch cleaned"

            """
        ])
        defer { project.remove() }
        #expect(try project.run(["data", "-q"]).status == 0)
        #expect(try Self.shell("chmod -R a+rX . && chmod a+w .", in: project.dir).status == 0)
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", Jcrun.binary.path]
        let result = try Jcrun.run(
            ["delete", "1", "--yes", "--force"], in: project.dir, environment: ["NO_COLOR": "1"],
            executable: "/usr/bin/setpriv", prefix: asNobody)
        #expect(result.status == 2)
        #expect(result.stderr.hasSuffix("state.db: the database file is read-only\n"))
        #expect(!project.exists("cleaned"))
        #expect(try project.run(["builds"]).stdout.contains("#1  data  successful"))
    }

    /// A store file that may not be written is read as `immutable=1`, so
    /// a refused `delete` (and `status`) leave no `-wal` and `-shm` behind,
    /// owned by whoever ran them (they did, the folder being writable).
    @Test func aWriteProtectedStoreIsLeftWithoutAJournal() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: data\n    command: \"true\"\n"])
        defer { project.remove() }
        #expect(try project.run(["data", "-q"]).status == 0)
        #expect(chmod(project.dir.appendingPathComponent(".jcrun/state.db").path, 0o444) == 0)
        let refused = try project.run(["delete", "1", "--yes", "--force"])
        #expect(refused.status == 2)
        #expect(refused.stderr.hasSuffix("state.db: the database file is read-only\n"))
        #expect(try project.run(["status"]).stdout.hasPrefix("data  successful  #1"))
        #expect(!project.exists(".jcrun/state.db-wal") && !project.exists(".jcrun/state.db-shm"))
        guard Self.canDropPrivileges else { return }
        // Another user, in a folder it may write: the same.
        #expect(try Self.shell("chmod -R a+rX . && chmod a+w .jcrun", in: project.dir).status == 0)
        let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", Jcrun.binary.path]
        for arguments in [["status"], ["delete", "1", "--yes", "--force"]] {
            _ = try Jcrun.run(
                arguments, in: project.dir, environment: ["NO_COLOR": "1"],
                executable: "/usr/bin/setpriv", prefix: asNobody)
            #expect(!project.exists(".jcrun/state.db-wal") && !project.exists(".jcrun/state.db-shm"))
        }
    }

    /// A cron shell without a secret's variable can still read the logs.
    @Test func storedBuildsAreReadWhenASecretCannotBeRead() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: a\n    command: \"echo hi\"\n"])
        defer { project.remove() }
        try "secrets:\n  tok: {env: MY_TOKEN}\n".write(
            to: project.dir.appendingPathComponent("jcrun.yaml"), atomically: true, encoding: .utf8)
        #expect(try project.run(["a", "-q"], environment: ["MY_TOKEN": "abcdefgh"]).status == 0)
        let log = try project.run(["log", "a"])
        #expect(log.status == 0)
        #expect(log.stdout.hasSuffix(" hi\n"))
        #expect(log.stderr.contains("secret 'tok' reads environment variable 'MY_TOKEN', which is not set"))
        #expect(try project.run(["status"]).status == 2)
    }

    // MARK: C. the state file alone holds every build

    @Test(arguments: [
        ("echo hi", "successful", Int32(0)),
        ("exit 3", "failed", Int32(1)),
        ("kill -TERM $PPID; sleep 5", "failed", Int32(143)),
    ])
    func theStateFileAloneHoldsTheBuild(command: String, outcome: String, status: Int32) throws {
        let project = try TestProject([
            "main.yaml": "jobs:\n  - id: a\n    command: \"\(command)\"\n"
        ])
        defer { project.remove() }
        #expect(try project.run(["a", "-q"]).status == status)
        #expect(!project.exists(".jcrun/state.db-wal"))
        try FileManager.default.copyItem(
            at: project.dir.appendingPathComponent(".jcrun/state.db"),
            to: project.dir.appendingPathComponent("copy.db"))
        let builds = try project.run(["--storage", "copy.db", "builds"])
        #expect(builds.status == 0)
        #expect(builds.stdout.hasPrefix("#1  a  \(outcome)"))
    }

    // MARK: D. output that cannot be written

    static let noSpace = "jcrun: error: cannot write to standard output: no space left on device\n"

    @Test(arguments: [
        "\"$JCRUN\" status >/dev/full", "\"$JCRUN\" log 1 >/dev/full",
        "\"$JCRUN\" builds --json >/dev/full", "\"$JCRUN\" --version >/dev/full",
    ])
    func aFullDiskOnStdoutIsAnError(script: String) throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        #expect(try project.run(["hello", "-q"]).status == 0)
        let result = try Self.shell(script, in: project.dir)
        #expect(result.status == 74)
        #expect(result.stderr == Self.noSpace)
    }

    /// `web --port 0` whose address cannot be printed stops at once (it
    /// served on, unreachable by whoever needed the port, until stopped).
    @Test func aWebServerWhoseAddressCannotBePrintedStops() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        let result = try Self.shell("timeout 20 \"$JCRUN\" web --port 0 >/dev/full", in: project.dir)
        #expect(result.status == 74)
        #expect(result.stderr == Self.noSpace)
    }

    @Test func aBuildGoesOnButSaysItsEventsWereLost() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        let result = try Self.shell("\"$JCRUN\" --json -q hello >/dev/full", in: project.dir)
        #expect(result.status == 74)
        #expect(result.stderr == Self.noSpace)
        #expect(try project.run(["builds"]).stdout.hasPrefix("#1  hello  successful"))
    }

    @Test func aClosedStdoutRunsNothing() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        let result = try Self.shell("\"$JCRUN\" --json hello >&-", in: project.dir)
        #expect(result.status == 74)
        #expect(
            result.stderr
                == "jcrun: error: standard output is closed; redirect it to a file or /dev/null\n")
        #expect(!project.exists(".jcrun/state.db"))
    }

    // MARK: E. messages that say what is wrong

    @Test(arguments: [
        (
            [String: String](), ["--jobs-dir", "jobs.d/main.yaml", "list"],
            "jcrun: error: jobs folder 'jobs.d/main.yaml' is a file, not a folder\n"
        ),
        (
            ["jcrun.yaml": "secrets:\n  tok: {file: /tmp}\n"], ["list"],
            "jcrun: error: jcrun.yaml:2:15: secret 'tok': cannot read file '/tmp': it is a folder, not a file\n"
        ),
        (
            ["jcrun.yaml": "secrets:\n  tok: {file: /dev/null}\n"], ["list"],
            "jcrun: error: jcrun.yaml:2:3: secret 'tok' is shorter than 4 characters, too short to mask safely\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  -\n"], ["list"],
            "jcrun: error: jobs.d/main.yaml:2:4: each entry of 'jobs' must be a mapping (a job), not nothing\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: a\n    command: x\n  - hello\n"], ["list"],
            "jcrun: error: jobs.d/main.yaml:4:5: each entry of 'jobs' must be a mapping (a job), not text\n"
        ),
        (
            ["jcrun.yaml": "defaults: {id: x}\n"], ["list"],
            "jcrun: error: jcrun.yaml:1:12: unknown key 'id' in defaults\n"
        ),
        (
            [:], ["--color="],
            "jcrun: error: option '--color' expects auto, always or never, got ''\n"
        ),
        (
            [:], ["--color", "list"],
            "jcrun: error: option '--color' expects auto, always or never, got 'list'\n"
        ),
        (
            [:], ["-j", "abc"],  // with no job: the value's error, not the usage
            "jcrun: error: option '--jobs' expects a positive whole number, got 'abc'\n"
        ),
    ])
    func messagesSayWhatIsWrong(files: [String: String], arguments: [String], stderr: String)
        throws
    {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        for (name, text) in files {
            try text.write(
                to: project.dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let result = try project.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr == stderr)
    }

    @Test func aMissingInterpreterAndAFileAsWorkdirAreNamed() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: script
                command: [./badinterp.sh]
              - id: inside
                command: "true"
                workdir: x.sh

            """
        ])
        defer { project.remove() }
        let script = project.dir.appendingPathComponent("badinterp.sh")
        try "#!/nonexistent/interp\necho hi\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        try "".write(
            to: project.dir.appendingPathComponent("x.sh"), atomically: true, encoding: .utf8)
        let dir = project.dir.standardizedFileURL.path
        let bad = try project.run(["script", "-q"])
        #expect(bad.status == 1)
        #expect(
            bad.stderr.contains(
                "failed (interpreter '/nonexistent/interp' of '\(dir)/badinterp.sh' not found)"))
        #expect(try project.run(["show-build", "script"]).stdout.contains("exit code   127\n"))
        let workdir = try project.run(["inside", "-q"])
        #expect(workdir.status == 1)
        #expect(workdir.stderr.contains("failed (workdir '\(dir)/x.sh' is not a folder)"))
    }

    // MARK: F. bash completion

    @Test func bashCompletionOffersCommandsOnlyAsTheFirstWord() throws {
        let project = try TestProject(["main.yaml": Self.twoJobs])
        defer { project.remove() }
        #expect(try project.run(["b", "-q"]).status == 0)
        let script = try Jcrun.run(["completion", "bash"]).stdout
        try script.write(
            to: project.dir.appendingPathComponent("completion.bash"), atomically: true,
            encoding: .utf8)
        let bin = Jcrun.binary.deletingLastPathComponent().path
        let complete = """
            source completion.bash
            t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="${COMP_WORDS[*]}"
                COMP_POINT=${#COMP_LINE}; _jcrun; echo "$*: ${COMPREPLY[*]}"; }
            t jcrun show ''; t jcrun why ''; t jcrun log ''; t jcrun show-build ''; t jcrun delete ''
            t jcrun a ''; t jcrun st
            """
        let result = try Jcrun.run(
            [], in: project.dir, environment: ["PATH": bin + ":/usr/bin:/bin"],
            executable: "/bin/bash", prefix: ["-c", complete])
        #expect(result.status == 0)
        #expect(
            result.stdout == """
                jcrun show : a b
                jcrun why : a b
                jcrun log : a b 2 1
                jcrun show-build : a b 2 1
                jcrun delete : 2 1
                jcrun a : a b
                jcrun st: status

                """)
    }

    // MARK: G. wording

    @Test func wordingIsSingularForOneAndNamesANeverBuiltProtectedJob() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: a
                command: "echo hi"
              - id: publish
                command: "true"
                protect: true

            """
        ])
        defer { project.remove() }
        #expect(try project.run(["a", "-q"]).status == 0)
        #expect(
            try project.run(["show-build", "1"]).stdout.contains(
                "  log (last 1 line; all: jcrun log #1)\n    hi\n"))
        let outdated = try project.run(["build-outdated"])
        #expect(outdated.status == 0)
        #expect(
            outdated.stderr.hasSuffix(
                "jcrun: warning: 'publish': protected and never built successfully; not built unless named\n"))
        #expect(
            try project.run(["build-outdated", "-n"]).stdout
                == "a: up to date\npublish: protected and never built successfully; not built unless named\n")
    }

    @Test func retvalOfABuildWithoutOneExits1() throws {
        let project = try TestProject(["main.yaml": Self.twoJobs])
        defer { project.remove() }
        #expect(try project.run(["a", "-q"]).status == 0)
        let result = try project.run(["show-build", "1", "--retval"])
        #expect(result.status == 1)
        #expect(result.stderr == "jcrun: error: build #1 has no return value\n")
    }
}
