import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What the fourth and fifth new users found wrong in the built jcrun (cron
/// runs around protected jobs, secrets in titles and tags, control
/// characters with `-v`, `why` after a secret changed, cleanups, a WAL left
/// behind), each checked with its exact output.
struct FreshUserFindingsTests {
    /// `-n` and `--check` check the options a run would refuse (a tester's
    /// `-n --lock-timeout 1.5s` printed the plan and exited 0).
    @Test(arguments: [["hello", "-n"], ["build-outdated", "--check"]])
    func aDryRunRefusesABadLockTimeout(_ arguments: [String]) throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        let result = try project.run(arguments + ["--lock-timeout", "1.5s"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: option '--lock-timeout' expects a duration such as 30s, 15m, 2h or 7d, got '1.5s'\n")
    }

    @Test func buildOutdatedBuildsEverythingThatDoesNotNeedANeverBuiltProtectedJob() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: pdep
                protect: true
                command: 'echo "@retval p"'
              - id: usesp
                dependencies: [pdep]
                command: 'echo uses'
              - id: ind
                command: 'echo independent'

            """
        ])
        defer { project.remove() }
        let cron = try project.run(["build-outdated", "--color", "never"])
        #expect(cron.status == 3)
        #expect(TestProject.maskTimes(cron.stderr) == """
            [1/2] ind started
            [1/2] ind successful in T
            1 built, 2 not run in T
              ind    #1  successful in T
              usesp  not run: dependency 'pdep' has no successful build
              pdep   not run: protected and never built successfully

            """)
        #expect(try project.run(["status", "--json"]).stdout.contains(#""job":"ind","status":"successful""#))
        // Named, the job that needs it still stops the run.
        let named = try project.run(["usesp", "ind", "--color", "never"])
        #expect(named.status == 3)
        #expect(named.stderr.contains("ind    not run: stopped: dependency 'pdep' has no successful build"))
    }

    @Test func aSecretInATitleOrTagIsMaskedWhereverTheJobIsShown() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: titled
                title: "token {{ env.MY_TOKEN }}"
                notes: "notes {{ env.MY_TOKEN }}"
                tags: ["{{ env.MY_TOKEN }}", plain]
                command: "true"

            """
        ])
        defer { project.remove() }
        try "secrets:\n  tok: {env: MY_TOKEN}\n".write(
            to: project.dir.appendingPathComponent("jcrun.yaml"), atomically: true, encoding: .utf8)
        let env = ["MY_TOKEN": "supersecrettoken"]
        #expect(try project.run(["list"], environment: env).stdout == "titled  not built  token ***\n")
        let json = try project.run(["show", "titled", "--json"], environment: env).stdout
        #expect(json.contains(#""tags":["***","plain"]"#))
        #expect(json.contains(#""title":"token ***""#))
        #expect(json.contains(#""notes":"notes ***""#))
        #expect(try project.run(["titled", "-q"], environment: env).status == 0)
        for listing in [["list", "--json"], ["show", "titled"], ["status", "--json"]] {
            let output = try project.run(listing, environment: env).stdout
            #expect(!output.contains("supersecrettoken"), "\(listing)")
        }
    }

    /// The plain view's `-v` lines are the job's output, which can hold any
    /// byte: a title-setting sequence must show, not act.
    @Test func verboseOutputShowsControlCharactersInsteadOfSendingThem() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: esc
                command: 'printf "\\033]0;pwned\\007 \\033[31mred\\033[0m\\r\\n"'

            """
        ])
        defer { project.remove() }
        let result = try project.run(["-v", "esc"])
        #expect(result.status == 0)
        #expect(result.stderr.contains(#"esc | \x1b]0;pwned\x07 \x1b[31mred\x1b[0m"# + "\n"))
        #expect(!result.stderr.contains("\u{1B}"))
    }

    @Test func whyNamesAChangedSecretAndShowPrintsTheHashThePlannerCompares() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: s
                command: "echo {{ env.MY_TOKEN }} > /dev/null"

            """
        ])
        defer { project.remove() }
        try "secrets:\n  tok: {env: MY_TOKEN}\n".write(
            to: project.dir.appendingPathComponent("jcrun.yaml"), atomically: true, encoding: .utf8)
        #expect(try project.run(["s", "-q"], environment: ["MY_TOKEN": "firstsecret"]).status == 0)
        let changed = ["MY_TOKEN": "secondsecret"]
        #expect(try project.run(["why", "s"], environment: changed).stdout
            == "s: definition changed (a secret's value)\n")
        let text = try project.run(["show", "s"], environment: changed).stdout
        let json = try project.run(["show", "s", "--json"], environment: changed).stdout
        let hash = try #require(text.split(separator: "\n").first { $0.contains("  hash ") })
            .split(separator: " ").last.map(String.init)
        #expect(json.contains(#""definition_hash":"\#(hash ?? "-")""#))
        let before = try project.run(["show", "s"], environment: ["MY_TOKEN": "firstsecret"]).stdout
        #expect(before != text)
    }

    /// A cleanup runs through the same runner as a build: the job's
    /// `timeout` stops a hanging one, and its output is shown, not obeyed.
    @Test func aHangingCleanupTimesOutAndItsBuildIsKept() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: made
                command: "echo made"
                timeout: 1s
                stop_grace: 1s
                cleanup: 'printf "\\033[31mred\\n"; sleep 30'

            """
        ])
        defer { project.remove() }
        #expect(try project.run(["made", "-q"]).status == 0)
        let deleted = try project.run(["delete", "1", "--yes"])
        #expect(deleted.status == 1)
        #expect(deleted.stderr == #"\x1b[31mred"# + """

            jcrun: error: cleanup of build #1 failed (timed out after 1s); the build is kept (--force deletes it anyway)

            """)
        #expect(try project.run(["show-build", "1", "--json"]).status == 0)
    }

    /// PROTOCOL.md: descriptor 3 is open in every job, its variable too.
    @Test func underDirectivesOffTheDirectiveDescriptorIsStillNamed() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: offw
                directives: "off"
                command: 'echo "@retval p" >&"$JCRUN_DIRECTIVE_FD"; echo "fd=$JCRUN_DIRECTIVE_FD"'

            """
        ])
        defer { project.remove() }
        #expect(try project.run(["offw", "-q"]).status == 0)
        let log = try project.run(["log", "offw", "--raw"]).stdout
        #expect(log.contains("fd=3\n"))
        #expect(try project.run(["show-build", "offw", "--retval"]).status == 1)
    }

    /// After a runner killed with SIGKILL, the next command, even one that
    /// only reads, folds the WAL into `state.db`: a copy of it alone holds
    /// the reaped build.
    @Test func aReadCommandFoldsTheJournalAKilledRunnerLeft() throws {
        let project = try TestProject(["main.yaml": RunnerSafetyTests.orphaning])
        defer { project.remove() }
        let orphan = try RunnerSafetyTests.killJcrunMidBuild(in: project)
        defer { kill(orphan, SIGKILL) }
        #expect(try project.run(["status"]).status == 0)
        #expect(!project.exists(".jcrun/state.db-wal"))
        #expect(!project.exists(".jcrun/state.db-shm"))
        let copy = project.dir.appendingPathComponent("copy.db")
        try FileManager.default.copyItem(
            at: project.dir.appendingPathComponent(".jcrun/state.db"), to: copy)
        let builds = try project.run(["--storage", copy.path, "builds"])
        #expect(builds.stdout.hasPrefix("#1  slow  failed"), "\(builds.stdout)")
        #expect(builds.stdout.contains("runner died; last seen at "), "\(builds.stdout)")
    }

    /// Two `delete`s of one build at once run its cleanup once.
    @Test func twoDeletesOfOneBuildRunItsCleanupOnce() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: made
                command: "true"
                cleanup: "echo once >> cleanups.txt; sleep 1"

            """
        ])
        defer { project.remove() }
        #expect(try project.run(["made", "-q"]).status == 0)
        let first = try RunnerSafetyTests.start(["delete", "1", "--yes"], in: project)
        for _ in 0..<100 where !project.exists("cleanups.txt") { usleep(20_000) }
        let second = try project.run(["delete", "1", "--yes"])
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(second.status == 0)
        let cleanups = try String(
            contentsOf: project.dir.appendingPathComponent("cleanups.txt"), encoding: .utf8)
        #expect(cleanups == "once\n")
        #expect(try project.run(["builds"]).stdout == "")
    }

    /// A value too long for one environment variable fails the build with
    /// that reason, not execve's "argument list too long".
    @Test func anEnvEntryTooLongForLinuxIsNamed() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: big
                command: 'echo "@retval $(head -c 200000 /dev/zero | tr "\\0" x)"'
              - id: uses
                dependencies: [big]
                env: {R: !retval big}
                command: "true"

            """
        ])
        defer { project.remove() }
        #expect(try project.run(["uses", "-q"]).status == 1)
        let build = try RunnerSafetyTests.latestBuild(project)
        #expect(build["failure_kind"] as? String == "start_failed")
        #expect(build["error"] as? String
            == "env R is 200002 bytes, above the 131,071 bytes Linux takes in one environment variable; pass a path to a file instead")
    }

    /// `log --follow` exits as the build did, for scripts that wait on it.
    @Test func logFollowExitsAsTheBuildDid() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: good
                command: "echo fine"
              - id: bad
                command: "echo broken; exit 3"

            """
        ])
        defer { project.remove() }
        _ = try project.run(["good", "bad", "-k", "-q"])
        #expect(try project.run(["log", "good", "--follow"]).status == 0)
        let bad = try project.run(["log", "bad", "--follow"])
        #expect(bad.status == 1)
        #expect(bad.stdout.hasSuffix(" broken\n"))
        #expect(try project.run(["log", "bad"]).status == 0)
    }
}
