import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a fresh tester found about the store's location, its job locks, a
/// store deleted mid-run and a file-size limit, each through the built binary.
struct StoreAndSupervisionFindingsTests {
    static let touchJob = "jobs:\n  - id: a\n    command: \"touch ran\"\n"

    /// Runs `script` with `/bin/sh` in `dir`, `$JCRUN` naming the binary.
    static func shell(_ script: String, in dir: URL) throws -> Jcrun.Result {
        try Jcrun.run(
            [], in: dir, environment: ["NO_COLOR": "1"], executable: "/bin/sh",
            prefix: ["-c", script])
    }

    /// The names in `folder`, sorted; empty when it does not exist.
    static func names(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    // MARK: 1. storage values taken for file paths, missing folders made

    /// A value that looks like a PostgreSQL connection written wrong was
    /// taken for a file name (`host=... password=...` became an SQLite file
    /// named after the password): refused, with the right form and the
    /// password masked, and nothing runs or is created.
    @Test(arguments: [
        (
            "postgresql:",
            "a PostgreSQL URL starts with 'postgresql://'; did you mean 'postgresql://HOST/DATABASE'?"
        ),
        (
            "postgresql:/jcrun@127.0.0.1:55432/jobs",
            "a PostgreSQL URL starts with 'postgresql://'; did you mean 'postgresql://jcrun@127.0.0.1:55432/jobs'?"
        ),
        (
            "postgres:jc:hunter2pass@h/db",
            "a PostgreSQL URL starts with 'postgres://'; did you mean 'postgres://jc:***@h/db'?"
        ),
        (
            "host=127.0.0.1 password=hunter2pass dbname=jobs",
            "a libpq key=value string is not a storage value; write it as a URL: did you mean 'postgresql://:***@127.0.0.1/jobs'?"
        ),
        (
            "user=jc password='hunter2 pass' host=h port=5433 dbname=jobs sslmode=require",
            "a libpq key=value string is not a storage value; write it as a URL: did you mean 'postgresql://jc:***@h:5433/jobs?sslmode=require'?"
        ),
        (
            "mysql:x.db",
            "unknown storage scheme 'mysql:'; use a path, sqlite:PATH or postgresql://...; for a file of that name write './mysql:x.db'"
        ),
        (
            "sqlit:x.db",
            "unknown storage scheme 'sqlit:'; use a path, sqlite:PATH or postgresql://...; did you mean 'sqlite:x.db'?"
        ),
        ("postgre:h/db", "unknown storage scheme 'postgre:'; did you mean 'postgresql://h/db'?"),
        (
            "sqlite://tmp/x.db",
            "'sqlite://' is followed by a host ('tmp'); write sqlite:///PATH for an absolute path or sqlite:PATH for a relative one: did you mean 'sqlite:///tmp/x.db' or 'sqlite:tmp/x.db'?"
        ),
    ] as [(String, String)])
    func aConnectionWrittenWrongIsNoFileName(value: String, problem: String) throws {
        let project = try TestProject(["main.yaml": Self.touchJob])
        defer { project.remove() }
        let shown = value.replacingOccurrences(of: "hunter2pass", with: "***")
            .replacingOccurrences(of: "'hunter2 pass'", with: "***")
        let expected = "jcrun: error: --storage '\(shown)': \(problem)\n"
        let result = try project.run(["--storage", value, "a"])
        #expect(result.status == 2)
        #expect(result.stderr == expected)
        let variable = try project.run(["a"], environment: ["JCRUN_STORAGE": value])
        #expect(variable.status == 2)
        #expect(variable.stderr == expected.replacingOccurrences(of: "--storage", with: "JCRUN_STORAGE"))
        #expect(!project.exists("ran"))
        #expect(Self.names(in: project.dir).filter { $0 != ".jcrun" } == ["jobs.d"])
    }

    /// The same in `jcrun.yaml`, said at the setting.
    @Test func aConnectionWrittenWrongInTheSettingsIsSaidAtTheSetting() throws {
        let project = try TestProject(
            ["main.yaml": Self.touchJob],
            settings: "storage: \"host=h password=hunter2pass\"\n")
        defer { project.remove() }
        let result = try project.run(["a"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: jcrun.yaml:1:10: invalid 'storage' 'host=h password=***': a libpq key=value string is not a storage value; write it as a URL: did you mean 'postgresql://:***@h/'?\n"
        )
        #expect(!project.exists("ran"))
    }

    /// A second tester: a mistyped URL printed its password (taken for a
    /// path, or split by libpq at a second `@`), whitespace became part of
    /// a file name, and an upper-case scheme went to libpq as is.
    @Test(arguments: [
        (
            "postgresql//u:hunter2pass@h/x",
            "--storage 'postgresql//u:***@h/x': a PostgreSQL URL starts with 'postgresql://'; did you mean 'postgresql://u:***@h/x'?"
        ),
        (
            " postgresql://u:hunter2pass@127.0.0.1:1/x",
            "--storage ' postgresql://u:***@127.0.0.1:1/x': the storage value starts or ends with whitespace, which would be part of the name; did you mean 'postgresql://u:***@127.0.0.1:1/x'?"
        ),
        (
            "postgresql://u:hunter2@pass@127.0.0.1:1/x",
            "--storage 'postgresql://u:***@127.0.0.1:1/x': the user part holds an '@' or a '/'; write '@' in a user name or password as %40 and '/' as %2F"
        ),
        (
            "password=hunter2 pass host=db",
            "--storage 'password=*** host=db': a libpq key=value string is not a storage value; write it as a URL: did you mean 'postgresql://:***@db/'?"
        ),
        (
            " ",
            "--storage ' ': the storage value is only whitespace; use a path, sqlite:PATH or postgresql://..."
        ),
        (
            "POSTGRESQL://u:hunter2pass@127.0.0.1:1/x",
            "postgresql://u:***@127.0.0.1:1/x: connection to server at \"127.0.0.1\", port 1 failed: Connection refused; Is the server running on that host and accepting TCP/IP connections?"
        ),
    ] as [(String, String)])
    func aMistypedValueNeverPrintsItsPassword(value: String, message: String) throws {
        let project = try TestProject(["main.yaml": Self.touchJob])
        defer { project.remove() }
        let result = try project.run(["status", "--storage", value])
        #expect(result.status == 2)
        #expect(result.stderr == "jcrun: error: \(message)\n")
        let variable = try project.run(["status"], environment: ["JCRUN_STORAGE": value])
        #expect(variable.status == 2)
        #expect(variable.stderr.contains("hunter2") == false)
        #expect(Self.names(in: project.dir).filter { $0 != ".jcrun" } == ["jobs.d"])
    }

    /// `storage: |` keeps its line break: refused, escaped, no `a.db\n` made.
    @Test func aLineBreakInTheStorageSettingIsRefused() throws {
        let project = try TestProject(["main.yaml": Self.touchJob], settings: "storage: |\n  a.db\n")
        defer { project.remove() }
        let result = try project.run(["a"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: jcrun.yaml:1:10: invalid 'storage' 'a.db\\x0a': the storage value starts or ends with whitespace, which would be part of the name; did you mean 'a.db'?\n"
        )
        #expect(!project.exists("ran"))
        #expect(!project.exists("a.db\n"))
    }

    /// `--storage sqlite:/nonexistent/dir/x.db` built, creating both folders:
    /// a path given to jcrun (option, variable, settings) must have its folder.
    @Test func aStoragePathWhoseFolderIsMissingIsRefused() throws {
        let project = try TestProject(["main.yaml": Self.touchJob])
        defer { project.remove() }
        let missing = project.dir.appendingPathComponent("nonexistent/dir").path
        let expected =
            "jcrun: error: \(missing)/x.db: folder '\(missing)' does not exist; create it first (jcrun creates no folder for a storage path it is given)\n"
        for (arguments, environment) in [
            (["--storage", "sqlite:\(missing)/x.db", "a"], [:]),
            (["a"], ["JCRUN_STORAGE": "nonexistent/dir/x.db"]),
            (["--storage", "\(missing)/x.db", "status"], [:]),
        ] as [([String], [String: String])] {
            let result = try project.run(arguments, environment: environment)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr == expected, "\(arguments)")
        }
        #expect(!project.exists("nonexistent"))
        #expect(!project.exists("ran"))
        // In jcrun.yaml, relative to the project.
        try "storage: nonexistent/dir/x.db\n".write(
            to: project.dir.appendingPathComponent("jcrun.yaml"), atomically: true, encoding: .utf8)
        #expect(try project.run(["a"]).stderr == expected)
        #expect(!project.exists("nonexistent"))
    }

    /// `.jcrun/` in the project is jcrun's own: made for the default store,
    /// and for a store the settings put in it; `SQLite:` is `sqlite:` there too.
    @Test(arguments: ["storage: .jcrun/other.db\n", "storage: \"SQLite:.jcrun/other.db\"\n"])
    func theProjectsOwnFolderIsMade(settings: String) throws {
        let project = try TestProject(["main.yaml": Self.touchJob], settings: settings)
        defer { project.remove() }
        #expect(try project.run(["a", "-q"]).status == 0)
        #expect(Self.names(in: project.dir.appendingPathComponent(".jcrun")) == ["cache", "locks", "other.db"])
    }

    // MARK: 2. two stores in one folder shared job locks

    /// Job `bx` of `one.db` held: a run of `two.db` in the same folder builds
    /// its own `bx` (it was refused, exit 75), a run of `one.db` (by a
    /// symbolic link too) waits for it. The locks are in `locks/one.db/`.
    @Test func twoStoresInOneFolderHaveTheirOwnJobLocks() throws {
        let jobs = "jobs:\n  - id: bx\n    command: \"true\"\n    cleanup: \"true\"\n"
        let q1 = try TestProject(["main.yaml": jobs])
        let q2 = try TestProject(["main.yaml": jobs])
        let shared = q1.dir.appendingPathComponent("shared")
        defer {
            q1.remove()
            q2.remove()
        }
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        let one = shared.appendingPathComponent("one.db").path
        let two = shared.appendingPathComponent("two.db").path
        #expect(try q1.run(["--storage", one, "bx", "-q"]).status == 0)  // makes bx's lock file
        let folder = shared.appendingPathComponent("locks/one.db")
        let name = try #require(Self.names(in: folder).first { $0.hasPrefix("bx.") })
        let fd = open(folder.appendingPathComponent(name).path, O_RDWR)
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)  // as another jcrun building one.db's bx
        defer { close(fd) }
        let other = try q2.run(["--storage", two, "bx", "--no-wait", "-q"])
        #expect(other.status == 0)
        #expect(other.stderr == "")
        let same = try q1.run(["--storage", one, "bx", "--no-wait"])
        #expect(same.status == 75)
        #expect(same.stderr.contains("0 built, 1 not run in "))
        let link = shared.appendingPathComponent("link.db").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: one)
        #expect(try q1.run(["--storage", link, "bx", "--no-wait", "-q"]).status == 75)
        #expect(Self.names(in: shared.appendingPathComponent("locks")) == ["one.db", "two.db"])
        // `delete`'s cleanup lock is the same store's.
        #expect(try q2.run(["--storage", two, "delete", "1", "--yes"]).status == 0)
        let cleanups = Self.names(in: shared.appendingPathComponent("locks/two.db")).filter {
            $0.hasPrefix("cleanup.bx.")
        }
        #expect(cleanups.count == 1)
    }

    /// `.jcrun/locks` a file: the store was created (81,920 bytes) before
    /// the lock folder was refused. A store named `locks` (directly or
    /// through a link) was made as a database, then refused as the lock
    /// folder. Both are now said before any file is made.
    @Test func aLockFolderInTheWayIsSaidBeforeTheStoreIsMade() throws {
        let project = try TestProject(["main.yaml": Self.touchJob])
        defer { project.remove() }
        let jcrun = project.dir.appendingPathComponent(".jcrun")
        try FileManager.default.createDirectory(at: jcrun, withIntermediateDirectories: false)
        try Data().write(to: jcrun.appendingPathComponent("locks"))
        let first = try project.run(["a"])
        #expect(first.status == 2)
        #expect(
            first.stderr
                == "jcrun: error: \(jcrun.path)/locks: it is a file, not a folder; jcrun keeps its job locks in it\n")
        #expect(!project.exists(".jcrun/state.db"))
        let other = project.dir.appendingPathComponent("other").path
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: other + "/link.db", withDestinationPath: "locks")
        for store in [other + "/locks", other + "/link.db"] {
            let result = try project.run(["--storage", store, "a"])
            #expect(result.status == 2, "\(store)")
            #expect(
                result.stderr
                    == "jcrun: error: \(store): a state database cannot be named 'locks': jcrun keeps its job locks in a folder of that name beside it; give the file another name\n"
            )
        }
        #expect(Self.names(in: URL(fileURLWithPath: other)) == ["link.db"])
        #expect(!project.exists("ran"))
    }

    /// A symbolic link into a missing folder gave SQLite's `unable to open
    /// database file`: the missing folder of its target is named.
    @Test func aLinkIntoAMissingFolderNamesTheFolder() throws {
        let project = try TestProject(["main.yaml": Self.touchJob])
        defer { project.remove() }
        let link = project.dir.appendingPathComponent("dangling.db").path
        let missing = project.dir.appendingPathComponent("nodir").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "nodir/t.db")
        let result = try project.run(["--storage", link, "a"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: \(link): folder '\(missing)' (the folder of the file its symbolic link names) does not exist; create it first (jcrun creates no folder for a storage path it is given)\n"
        )
        #expect(!project.exists("nodir"))
    }

    // MARK: 3. the store deleted mid-run

    /// A job that says it started, then waits for `go`.
    static let waitingJobs = """
        jobs:
          - id: slow
            command: "touch started; while [ ! -e go ]; do sleep 0.05; done"
          - id: hello
            command: "echo hello"
        """

    /// `rm -f .jcrun/state.db*` while a run went on: `2 built`, exit 0, and
    /// every job `not built` afterwards. Now said, exit 2.
    @Test func aStoreDeletedWhileARunWritesIsSaid() throws {
        let project = try TestProject(["main.yaml": Self.waitingJobs])
        defer { project.remove() }
        let result = try Self.shell(
            """
            "$JCRUN" slow hello -q & pid=$!
            while [ ! -e started ]; do sleep 0.05; done
            rm -f .jcrun/state.db .jcrun/state.db-wal .jcrun/state.db-shm
            touch go
            wait $pid; echo "rc $?"
            """, in: project.dir)
        let path = project.dir.appendingPathComponent(".jcrun/state.db").path
        #expect(result.stdout == "rc 2\n")
        #expect(
            result.stderr
                == "jcrun: error: \(path): the state database was deleted while jcrun had it open; what this command stored in it is lost\n"
        )
    }

    /// Deleted, then made again by another run: said as replaced, and the
    /// new store keeps its build (closing the old one leaves its `-wal`).
    @Test func aStoreReplacedWhileARunWritesIsSaidAndTheNewOneKept() throws {
        let project = try TestProject(["main.yaml": Self.waitingJobs])
        defer { project.remove() }
        let result = try Self.shell(
            """
            "$JCRUN" slow -q & pid=$!
            while [ ! -e started ]; do sleep 0.05; done
            rm -f .jcrun/state.db .jcrun/state.db-wal .jcrun/state.db-shm
            "$JCRUN" hello -q; echo "other $?"
            touch go
            wait $pid; echo "rc $?"
            """, in: project.dir)
        let path = project.dir.appendingPathComponent(".jcrun/state.db").path
        #expect(result.stdout == "other 0\nrc 2\n")
        #expect(
            result.stderr
                == "jcrun: error: \(path): the state database was replaced by another file while jcrun had it open; what this command stored in it is lost\n"
        )
        let builds = try project.run(["builds", "--json"]).stdout
        #expect(try TestProject.jsonLines(builds).map { $0["job"] as? String } == ["hello"])
    }

    /// A backup put in place of the store mid-run (`mv backup.db state.db`):
    /// the dead run's `-wal` stayed at the path and the next command
    /// replayed it into the restored file (its lost builds back, `Page 84
    /// is never used`). Closing now removes its own `-wal` and `-shm`: the
    /// restored file keeps only its own builds.
    /// `loud` writes megabytes after the file was replaced: the checkpoint
    /// thread, started then, must not open the new file with this WAL.
    @Test(arguments: ["slow", "loud"])
    func aBackupPutInPlaceMidRunIsLeftAsItIs(job: String) throws {
        let fill = "head -c 6000000 /dev/urandom | base64 -w 76"  // past 1,000 pages, even compressed
        let loud: String =
            "\n  - id: loud\n    command: \"touch started; while [ ! -e go ]; do sleep 0.05; done; \(fill)\"\n"
        let project = try TestProject(["main.yaml": Self.waitingJobs + loud])
        defer { project.remove() }
        let result = try Self.shell(
            """
            "$JCRUN" hello -q; cp .jcrun/state.db backup.db
            "$JCRUN" \(job) -q & pid=$!
            while [ ! -e started ]; do sleep 0.05; done
            cp backup.db .jcrun/state.db.tmp && mv .jcrun/state.db.tmp .jcrun/state.db
            touch go
            wait $pid; echo "rc $?"
            ls .jcrun | grep state
            """, in: project.dir)
        let path = project.dir.appendingPathComponent(".jcrun/state.db").path
        #expect(result.stdout == "rc 2\nstate.db\n")
        #expect(
            result.stderr
                == "jcrun: error: \(path): the state database was replaced by another file while jcrun had it open; what this command stored in it is lost\n"
        )
        let builds = try project.run(["builds", "--json"]).stdout
        #expect(try TestProject.jsonLines(builds).map { $0["job"] as? String } == ["hello"])
    }

    // MARK: 4. a file-size limit

    /// `ulimit -f` reached by the store's writes killed jcrun with SIGXFSZ
    /// (exit 153, the build left `running`): the build ends `store_failed`
    /// and the run exits 2.
    @Test func aFileSizeLimitEndsTheBuildStoreFailed() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: big\n    command: \"seq 1 300000\"\n"])
        defer { project.remove() }
        let result = try Self.shell("ulimit -f 2000; exec \"$JCRUN\" big -q", in: project.dir)
        #expect(result.status == 2)
        let path = project.dir.appendingPathComponent(".jcrun/state.db").path
        #expect(
            result.stderr.hasSuffix(
                "jcrun: error: \(path): the file size limit is reached (ulimit -f: 1024000 bytes)\n"))
        let build = try #require(try TestProject.jsonLines(project.run(["builds", "--json"]).stdout).first)
        #expect(build["status"] as? String == "failed")
        #expect(build["failure_kind"] as? String == "store_failed")
    }

    /// Jobs still get SIGXFSZ's default: a job writing past its own
    /// `ulimit -f` is killed by it (128 + 25), as without jcrun, instead of
    /// seeing EFBIG (exit 1).
    @Test func jobsKeepTheDefaultFileSizeSignal() throws {
        let project = try TestProject([
            "main.yaml": """
                jobs:
                  - id: fat
                    command: "sh -c 'ulimit -f 1; head -c 4096 /dev/zero > out.bin' ; echo \\"rc $?\\""
                """
        ])
        defer { project.remove() }
        #expect(try project.run(["fat", "-q"]).status == 0)
        #expect(try project.run(["log", "fat"]).stdout.contains(" stdout info     rc 153\n"))
    }

    // MARK: 5. a process that leaves its job's process group

    /// Whether process `pid` runs (not a zombie).
    static func runs(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// `setsid sleep 62 & echo started`: the build succeeded and `sleep`
    /// kept running with parent 1. jcrun is its jobs' subreaper during a
    /// run, so the process comes back to it and is stopped as the run ends.
    @Test func aProcessThatLeftItsGroupIsStoppedWhenTheRunEnds() throws {
        let project = try TestProject([
            "main.yaml": """
                jobs:
                  - id: escape
                    command: "setsid sleep 62 >/dev/null 2>&1 & echo $! > escaped.pid; echo started"
                """
        ])
        defer { project.remove() }
        let result = try project.run(["escape", "-q"])
        let text = try String(contentsOf: project.dir.appendingPathComponent("escaped.pid"), encoding: .utf8)
        let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let escaped = Self.runs(pid)
        if escaped { kill(pid, SIGKILL) }  // the test's own leftover
        #expect(!escaped)
        #expect(result.status == 0)
        #expect(
            result.stderr
                == "jcrun: warning: 1 process of build #1 of 'escape' left their job's process group and still ran after the run (pid \(pid)); jcrun sent SIGTERM\n"
        )
    }

    /// As their reaper, jcrun reaps a job's leftovers that its group's stop
    /// killed while the run goes on: the next job waits until its parent
    /// (jcrun) has no zombie child left, and would time out otherwise.
    /// A second tester: the wait for leavers was silent for `stop_grace`,
    /// and a Ctrl-C then (signals were no longer caught) ended jcrun at
    /// once and left them running for good.
    @Test func ctrlCWhileLeaversAreStoppedKillsThemAtOnce() throws {
        let project = try TestProject([
            "main.yaml": """
                jobs:
                  - id: stubborn
                    stop_grace: 120s
                    command: "setsid sh -c 'trap \\"\\" TERM; sleep 300' >/dev/null 2>&1 & echo $! > escaped.pid"
                """
        ])
        defer { project.remove() }
        let errors = project.dir.appendingPathComponent("stderr.txt")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = Jcrun.binary
        process.arguments = ["stubborn", "-q"]
        process.currentDirectoryURL = project.dir
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        var said = ""
        for _ in 0..<300 where !said.contains("Ctrl-C kills them now") {
            Thread.sleep(forTimeInterval: 0.05)
            said = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        }
        #expect(said == "jcrun: stopping 1 process that left their job's process group (SIGTERM, SIGKILL after 120s; Ctrl-C kills them now)\n")
        process.interrupt()  // SIGINT to the jcrun this test started, by its pid
        process.waitUntilExit()
        let text = try String(contentsOf: project.dir.appendingPathComponent("escaped.pid"), encoding: .utf8)
        let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        var escaped = Self.runs(pid)
        for _ in 0..<100 where escaped {  // the kill may still be under way
            Thread.sleep(forTimeInterval: 0.05)
            escaped = Self.runs(pid)
        }
        if escaped { kill(pid, SIGKILL) }  // the test's own leftover
        #expect(!escaped)
        let all = try String(contentsOf: errors, encoding: .utf8)
        #expect(all.hasSuffix("left their job's process group and still ran after the run (pid \(pid)); jcrun sent SIGTERM, then SIGKILL at Ctrl-C\n"))
    }

    @Test func leftoversKilledWithTheirGroupAreReapedDuringTheRun() throws {
        let project = try TestProject([
            "main.yaml": """
                jobs:
                  - id: lefty
                    command: "sleep 30 & echo hi"
                  - id: after
                    dependencies: [lefty]
                    timeout: 30s
                    command: "while ps -o stat= --ppid $PPID | grep -q Z; do sleep 0.1; done; echo reaped"
                """
        ])
        defer { project.remove() }
        let result = try project.run(["after", "-j", "1", "-q"])
        #expect(result.status == 0)
        #expect(try project.run(["log", "after"]).stdout.hasSuffix(" stdout info     reaped\n"))
    }
}
