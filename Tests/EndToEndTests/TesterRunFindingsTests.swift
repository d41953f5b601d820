import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a fresh tester found in runs, the web page and the command line,
/// each checked through the built binary with its exact output.
struct TesterRunFindingsTests {
    /// Runs `script` with `/bin/sh` in `dir`, `$JCRUN` naming the binary.
    static func shell(_ script: String, in dir: URL) throws -> Jcrun.Result {
        try Jcrun.run(
            [], in: dir, environment: ["NO_COLOR": "1"], executable: "/bin/sh",
            prefix: ["-c", script])
    }

    /// `count` jobs that each sleep a moment, so that they run at once.
    static func sleepers(_ count: Int) -> String {
        var yaml = "jobs:\n"
        for index in 1...count { yaml += "  - id: s\(index)\n    command: [sleep, \"0.3\"]\n" }
        return yaml
    }

    // MARK: 1. -j N and the open-file limit

    /// Each running build holds about 9 descriptors: `-j 40` under a limit
    /// of 200 failed builds with "too many open files".
    @Test func manyBuildsAtOnceRunFewerAtOnceUnderALowHardLimit() throws {
        let project = try TestProject(["main.yaml": Self.sleepers(40)])
        defer { project.remove() }
        let result = try Self.shell(
            "ulimit -n 200 && exec \"$JCRUN\" build-outdated -j 40 -q", in: project.dir)
        #expect(result.status == 0)
        let masked = result.stderr.replacingOccurrences(
            of: #"up to \d+ builds"#, with: "up to N builds", options: .regularExpression)
        #expect(
            masked
                == "jcrun: warning: -j 40 does not fit the open-file limit (200, ulimit -n); running up to N builds at once\n"
        )
        #expect(try project.run(["status", "--json"]).stdout.components(separatedBy: #""status":"successful""#).count == 41)
    }

    /// With only the soft limit low, jcrun raises it to the hard limit: no
    /// warning, every build succeeds, and the job still sees the user's limit.
    @Test func aLowSoftLimitIsRaisedForJcrunButNotForItsJobs() throws {
        let project = try TestProject([
            "main.yaml": Self.sleepers(40)
                + "  - id: lim\n    command: 'echo \"limit $(ulimit -Sn)\"'\n"
        ])
        defer { project.remove() }
        let result = try Self.shell(
            "ulimit -S -n 200 && exec \"$JCRUN\" build-outdated -j 41 -q", in: project.dir)
        #expect(result.status == 0)
        #expect(result.stderr == "")
        #expect(try project.run(["status", "--json"]).stdout.components(separatedBy: #""status":"successful""#).count == 42)
        #expect(try project.run(["log", "lim"]).stdout.hasSuffix("limit 200\n"))
    }

    // MARK: 6. command-line values in messages

    /// A newline in a value split a message over two lines; a tab showed as
    /// space; a byte that is not UTF-8 showed as U+FFFD.
    @Test(arguments: [
        (["a\nb"], "jcrun: error: unknown job 'a\\x0ab'\n"),
        (["-C", "/nowhere\tx", "list"], "jcrun: error: -C: '/nowhere\\x09x' is not a directory\n"),
        (["--bo\ngus"], "jcrun: error: unknown option '--bo\\x0agus'\n"),
        (["render", "x\ny"], "jcrun: error: 'x\\x0ay' is not a file in jobs.d/\n"),
    ])
    func controlCharactersInArgumentsAreEscapedInMessages(_ arguments: [String], _ expected: String) throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        let result = try project.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr == expected)
    }

    @Test func anArgumentThatIsNotUTF8IsShownByItsBytes() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        let result = try Self.shell(#""$JCRUN" "a$(printf '\377')b""#, in: project.dir)
        #expect(result.status == 2)
        #expect(result.stderr == "jcrun: error: unknown job 'a\\xffb'\n")
    }

    // MARK: 7. --pin with the pinned job named, or pinned twice

    static let pinnable = """
        jobs:
          - id: src
            command: 'echo "@retval x"'
          - id: top
            command: "true"
            dependencies: [src]

        """

    /// `jcrun src top --pin src=1` built src and handed top the pinned #1;
    /// two pins of one dependency kept the last.
    @Test(arguments: [
        (["src", "top", "--pin", "src=1"],
         "jcrun: error: 'src' is both named to be built and pinned (--pin src=1); name it or pin it, not both\n"),
        (["top", "--pin", "src=1", "--pin", "src=#1"],
         "jcrun: error: option '--pin' pins 'src' twice (#1 and #1); pin each dependency once\n"),
    ])
    func pinningANamedJobOrPinningTwiceIsAUsageError(_ arguments: [String], _ expected: String) throws {
        let project = try TestProject(["main.yaml": Self.pinnable])
        defer { project.remove() }
        #expect(try project.run(["src", "-q"]).status == 0)
        let result = try project.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr == expected)
        #expect(try project.run(["builds", "--json"]).stdout.split(separator: "\n").count == 1)
    }

    // MARK: 9. a damaged store folder

    /// `.jcrun` a file gave SQLite's "unable to open database file", and
    /// `list` showed every job not built.
    @Test(arguments: [["hello"], ["list"]])
    func aStoreFolderThatIsAFileIsSaidSo(_ arguments: [String]) throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        try Data().write(to: project.dir.appendingPathComponent(".jcrun"))
        let result = try project.run(arguments)
        #expect(result.status == 2)
        let dir = project.dir.path
        #expect(
            result.stderr
                == "jcrun: error: \(dir)/.jcrun: it is a file, not a folder; the state database '\(dir)/.jcrun/state.db' goes inside it\n"
        )
    }

    /// `.jcrun/locks` a file: each build ended "not run: lock not obtained".
    @Test func aLocksFolderThatIsAFileStopsTheRunBeforeAnythingRuns() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        #expect(try project.run(["hello", "-q"]).status == 0)
        let locks = project.dir.appendingPathComponent(".jcrun/locks")
        try FileManager.default.removeItem(at: locks)
        try Data().write(to: locks)
        let result = try project.run(["hello"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: \(locks.path): it is a file, not a folder; jcrun keeps its job locks in it\n")
        #expect(try project.run(["builds", "--json"]).stdout.split(separator: "\n").count == 1)
    }

    // MARK: 10. a runner that dies, a program not found

    /// `log --follow` exited 1 when the build's runner died, saying nothing.
    @Test func followingABuildWhoseRunnerDiedSaysWhy() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: slow\n    command: \"sleep 30\"\n"])
        defer { project.remove() }
        let runner = Process()
        runner.executableURL = Jcrun.binary
        runner.arguments = ["slow", "-q"]
        runner.currentDirectoryURL = project.dir
        runner.standardError = FileHandle.nullDevice
        try runner.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline,
            !(try project.run(["status", "--json"]).stdout.contains(#""status":"running""#))
        {
            usleep(50_000)
        }
        kill(runner.processIdentifier, SIGKILL)
        runner.waitUntilExit()
        let result = try project.run(["log", "slow", "--follow"])
        #expect(result.status == 1)
        let masked = result.stderr.replacingOccurrences(
            of: #"last seen at \S+"#, with: "last seen at T", options: .regularExpression)
        #expect(masked == "jcrun: build #1 failed: runner died; last seen at T\n")
    }

    /// `program '/tmp/k/./nonexistent-prog' not found`: the `./` is dropped.
    @Test func aProgramNotFoundIsNamedWithoutDotSlash() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: np\n    command: [./nonexistent-prog]\n"])
        defer { project.remove() }
        let result = try project.run(["np", "-q"])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "np #1 failed (program '\(project.dir.path)/nonexistent-prog' not found), no output\n"))
    }
}
