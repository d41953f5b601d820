import Foundation
import Testing

/// What happens to builds and processes when jcrun dies, a job leaves
/// processes behind, or jcrun's reader goes away.
struct RunnerSafetyTests {
    /// A job whose grandchild (a second `sleep`) writes its pid to `orphan.pid`.
    static let orphaning = """
        jobs:
          - id: slow
            command: "sleep 300 & echo $! > orphan.pid; echo started; wait"
            stop_grace: 1s

        """

    /// Starts jcrun without waiting; stdout to `stdout` if given, else nowhere.
    /// Starts `jcrun slow`, waits until its job has left an orphan behind,
    /// kills jcrun with SIGKILL, and returns the orphan's pid.
    static func killJcrunMidBuild(in project: TestProject) throws -> Int32 {
        let jcrun = try start(["slow", "-q"], in: project)
        let orphan = try pid(in: "orphan.pid", of: project)
        kill(jcrun.processIdentifier, SIGKILL)
        jcrun.waitUntilExit()
        return orphan
    }

    static func start(
        _ arguments: [String], in project: TestProject, stdout: Pipe? = nil
    ) throws -> Process {
        let process = Process()
        process.executableURL = Jcrun.binary
        process.arguments = arguments
        process.currentDirectoryURL = project.dir
        process.environment = ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits (at most 10 s) until `file` exists in the project and holds a pid.
    static func pid(in file: String, of project: TestProject) throws -> Int32 {
        let path = project.dir.appendingPathComponent(file).path
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return pid
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw CocoaError(.fileReadNoSuchFile)
    }

    /// Alive: the process exists and is not a zombie (an orphaned zombie
    /// waits for init, which may reap it late).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }

    /// Whether `pid` ends within 10 s: a SIGKILL lands a moment after it is sent.
    static func ends(_ pid: Int32) -> Bool {
        for _ in 0..<200 where isAlive(pid) { usleep(50_000) }
        return !isAlive(pid)
    }

    /// Waits for `process` to exit, at most `seconds`; kills it (by its pid) after that.
    static func wait(for process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }

    static func latestBuild(_ project: TestProject) throws -> [String: Any] {
        try #require(try TestProject.jsonLines(try project.run(["builds", "--json"]).stdout).first)
    }

    @Test(.bug(id: 3)) func aReadCommandReapsABuildWhoseRunnerWasKilled() throws {
        let project = try TestProject(["main.yaml": Self.orphaning])
        defer { project.remove() }
        let orphan = try Self.killJcrunMidBuild(in: project)

        let status = try project.run(["status"])
        #expect(status.status == 0)
        #expect(TestProject.maskTimes(status.stdout) == "slow  failed  #1  T  T\n")
        let build = try Self.latestBuild(project)
        #expect(build["failure_kind"] as? String == "runner_died")
        let finished = try #require(build["finished_at"] as? String)
        #expect(build["error"] as? String == "runner died; last seen at \(finished)")
        #expect(Self.ends(orphan))
    }

    @Test(.bug(id: 3)) func aReadOnlyStoreSaysTheRunnerDied() throws {
        let project = try TestProject(["main.yaml": Self.orphaning])
        defer { project.remove() }
        let orphan = try Self.killJcrunMidBuild(in: project)
        defer { kill(orphan, SIGKILL) }  // the test's own leftover: nothing could reap it
        let database = project.dir.appendingPathComponent(".jcrun/state.db").path
        chmod(database, 0o444)

        let status = try project.run(["status"])
        #expect(status.status == 0)
        #expect(
            status.stderr
                == "jcrun: warning: the runner of running build #1 died; the store is not writable, so it still shows as running (runner died?)\n"
        )
    }

    @Test(.bug(id: 3)) func logFollowStopsWhenTheRunnerDies() throws {
        let project = try TestProject(["main.yaml": Self.orphaning])
        defer { project.remove() }
        let jcrun = try Self.start(["slow", "-q"], in: project)
        let orphan = try Self.pid(in: "orphan.pid", of: project)
        let follow = try Self.start(["log", "slow", "--follow"], in: project)
        kill(jcrun.processIdentifier, SIGKILL)
        jcrun.waitUntilExit()

        #expect(Self.wait(for: follow, seconds: 30))
        #expect(follow.terminationStatus == 1)  // the build failed (runner_died)
        #expect(try Self.latestBuild(project)["failure_kind"] as? String == "runner_died")
        #expect(Self.ends(orphan))
    }

    @Test(.bug(id: 4)) func theNextBuildStopsTheOrphanBeforeStarting() throws {
        let project = try TestProject(["main.yaml": Self.orphaning])
        defer { project.remove() }
        let orphan = try Self.killJcrunMidBuild(in: project)
        try FileManager.default.removeItem(at: project.dir.appendingPathComponent("orphan.pid"))

        let second = try Self.start(["slow", "-q"], in: project)
        defer {
            second.terminate()
            second.waitUntilExit()
        }
        _ = try Self.pid(in: "orphan.pid", of: project)
        #expect(Self.ends(orphan))
    }

    @Test(.bug(id: 4)) func processesAJobLeavesBehindAreStopped() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: leaves
                command: "sleep 300 > /dev/null 2>&1 & echo $! > left.pid; echo done"
                stop_grace: 1s

            """
        ])
        defer { project.remove() }
        let result = try project.run(["leaves", "-q"])
        #expect(result.status == 0)
        #expect(Self.ends(try Self.pid(in: "left.pid", of: project)))
        let log = try project.run(["log", "leaves"]).stdout
        let texts = log.split(separator: "\n").map { String($0.dropFirst(41)) }
        #expect(
            texts == [
                "done",
                "processes started by the job still hold its output open after it exited; their further output is not logged",
                "1 process started by the job still ran after it exited; jcrun sent SIGTERM to its process group (SIGKILL after 1s)",
            ])
    }

    /// The `sleep` the timeout kills becomes an orphaned zombie until init
    /// reaps it; counting it as alive made the runner wait all of stop_grace.
    @Test(.bug(id: 4)) func aTimedOutJobEndsWithoutWaitingForZombies() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: late
                command: "echo hi; sleep 10"
                timeout: 1s
                stop_grace: 120s

            """
        ])
        defer { project.remove() }
        let jcrun = try Self.start(["late", "-q"], in: project)
        #expect(Self.wait(for: jcrun, seconds: 60))
        #expect(jcrun.terminationStatus == 1)
        #expect(try Self.latestBuild(project)["error"] as? String == "timed out after 1s")
    }

    @Test(.bug(id: 4)) func aClosedStdoutInterruptsTheRunWith141() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: chatty
                command: "for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; sleep 1; done"

            """
        ])
        defer { project.remove() }
        let pipe = Pipe()
        let jcrun = try Self.start(["--json", "-B", "chatty"], in: project, stdout: pipe)
        // Like `| head -1`: read the first line, then go away.
        var first = Data()
        while !first.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            first.append(chunk)
        }
        try pipe.fileHandleForReading.close()
        #expect(Self.wait(for: jcrun, seconds: 60))
        #expect(jcrun.terminationStatus == 141)
        let build = try Self.latestBuild(project)
        #expect(build["status"] as? String == "failed")
        #expect(build["failure_kind"] as? String == "interrupted")
        #expect(build["error"] as? String == "interrupted by SIGPIPE")
    }

    static let cleaned = """
        jobs:
          - id: made
            command: "echo made"
            cleanup: "echo cleaned >> cleanups.txt"

        """

    @Test(.bug(id: 3)) func deleteNamingOneBuildThriceCleansOnce() throws {
        let project = try TestProject(["main.yaml": Self.cleaned])
        defer { project.remove() }
        #expect(try project.run(["made", "-q"]).status == 0)
        let result = try project.run(["delete", "1", "1", "#1", "--yes"])
        #expect(result.status == 0)
        #expect(result.stderr == "jcrun: deleted build #1 of 'made'\n")
        let cleanups = try String(
            contentsOf: project.dir.appendingPathComponent("cleanups.txt"), encoding: .utf8)
        #expect(cleanups == "cleaned\n")
    }

    @Test(.bug(id: 3)) func deleteRefusesBeforeAnyCleanupRuns() throws {
        let project = try TestProject(["main.yaml": Self.cleaned])
        defer { project.remove() }
        #expect(try project.run(["made", "-q"]).status == 0)
        let result = try project.run(["delete", "1", "7", "--yes"])
        #expect(result.status == 2)
        #expect(result.stderr == "jcrun: error: no build #7; 'jcrun builds' lists the stored builds\n")
        #expect(!project.exists("cleanups.txt"))
        #expect(try project.run(["builds", "--json"]).stdout.contains("\"id\":1,"))
    }

    @Test(.bug(id: 3)) func anUnknownStorageSchemeIsAnError() throws {
        let project = try TestProject(["main.yaml": Self.cleaned])
        defer { project.remove() }
        let result = try project.run(["list", "--storage", "mysql://foo"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: --storage 'mysql://foo': unknown storage scheme 'mysql://'; use a path, sqlite:PATH or postgresql://...\n"
        )
        #expect(!project.exists("mysql:"))
    }
}
