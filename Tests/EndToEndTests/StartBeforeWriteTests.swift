import Foundation
import Testing

/// With `-j 1` the next build's process starts before the write that ends
/// the previous build and stores its row, under a build id the store
/// reserved (issue #5). What a user or a later jcrun sees must not change:
/// the ids, the rows, what a failure, a held lock or a killed jcrun leaves.
@Suite(.bug(id: 5)) struct StartBeforeWriteTests {
    /// Jobs a, b, c, d: each appends its job id, its build id and whether
    /// its row is already stored (`builds` run from inside the job) to `ids.txt`.
    static let four = """
        jobs:
          - id: a
            command: 'echo "$JCRUN_JOB_ID $JCRUN_BUILD_ID" >> ids.txt'
          - id: b
            command: 'echo "$JCRUN_JOB_ID $JCRUN_BUILD_ID" >> ids.txt'
          - id: c
            command: 'echo "$JCRUN_JOB_ID $JCRUN_BUILD_ID" >> ids.txt'
          - id: d
            command: 'echo "$JCRUN_JOB_ID $JCRUN_BUILD_ID" >> ids.txt'

        """

    private func read(_ name: String, in project: TestProject) -> String {
        (try? String(contentsOf: project.dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    /// `builds` as "id job status" lines, oldest first.
    private func builds(in project: TestProject) throws -> [String] {
        let listed = try project.run(["builds"]).stdout
        return listed.split(separator: "\n").reversed().map { line in
            line.split(separator: " ", omittingEmptySubsequences: true).prefix(3).joined(separator: " ")
        }
    }

    @Test func eachChildSeesTheIDItsRowGetsAndIDsStayConsecutive() throws {
        let project = try TestProject(["jobs.yaml": Self.four])
        defer { project.remove() }
        let result = try project.run(["build", "a", "b", "c", "d", "-j", "1", "-q"])
        #expect(result.status == 0)
        #expect(read("ids.txt", in: project) == "a 1\nb 2\nc 3\nd 4\n")
        #expect(try builds(in: project) == ["#1 a successful", "#2 b successful", "#3 c successful", "#4 d successful"])
        // The id reserved after #4 was given back: the next run goes on at #5.
        #expect(try project.run(["build", "a", "-q"]).status == 0)
        #expect(try project.run(["build", "b", "c", "-j", "1", "-q"]).status == 0)
        #expect(read("ids.txt", in: project) == "a 1\nb 2\nc 3\nd 4\na 5\nb 6\nc 7\n")
    }

    /// The row a build's process runs under is stored once it runs: a
    /// long build is `running` with its process group while it runs.
    @Test func aRunningBuildStartedFirstIsStoredRunningWithItsGroup() throws {
        let project = try TestProject([
            "jobs.yaml": """
                jobs:
                  - id: a
                    command: 'true'
                  - id: b
                    command: 'echo $$ > b.pid; while [ ! -e go ]; do sleep 0.02; done'

                """
        ])
        defer { project.remove() }
        let run = try ConcurrentRunTests.Background(["build", "a", "b", "-j", "1", "-q"], in: project, name: "out")
        let pid = try RunnerSafetyTests.pid(in: "b.pid", of: project)
        #expect(try builds(in: project) == ["#1 a successful", "#2 b running"])
        let shown = try project.run(["show-build", "2"]).stdout
        #expect(shown.contains("running"))
        #expect(getpgid(pid) == pid)
        try ConcurrentRunTests.write("", "go", in: project)
        #expect(run.finish() == 0)
        #expect(try builds(in: project) == ["#1 a successful", "#2 b successful"])
    }

    /// A failure without `-k`: the build after it is neither started nor
    /// stored, and the id reserved for it is given back.
    @Test func aFailureLeavesNoRowForTheNextBuildAndNoGap() throws {
        let project = try TestProject([
            "jobs.yaml": """
                jobs:
                  - id: a
                    command: 'true'
                  - id: b
                    command: 'exit 3'
                  - id: c
                    command: 'touch c.ran'

                """
        ])
        defer { project.remove() }
        let result = try project.run(["build", "a", "b", "c", "-j", "1", "-q"])
        #expect(result.status != 0)
        #expect(!project.exists("c.ran"))
        #expect(try builds(in: project) == ["#1 a successful", "#2 b failed"])
        #expect(try project.run(["build", "c", "-q"]).status == 0)
        #expect(try builds(in: project) == ["#1 a successful", "#2 b failed", "#3 c successful"])
    }

    /// A process that cannot start: its row and the previous build's end
    /// are written all the same, then it ends `start_failed`.
    @Test func aProcessThatCannotStartIsStoredAndEnded() throws {
        let project = try TestProject([
            "jobs.yaml": """
                jobs:
                  - id: a
                    command: 'true'
                  - id: b
                    command: ["/nonexistent/jcrun-test-command"]
                  - id: c
                    command: 'true'

                """
        ])
        defer { project.remove() }
        let result = try project.run(["build", "a", "b", "c", "-j", "1", "-k", "-q"])
        #expect(result.status != 0)
        #expect(try builds(in: project) == ["#1 a successful", "#2 b failed", "#3 c successful"])
        let shown = try project.run(["show-build", "2"]).stdout
        #expect(shown.hasPrefix("#2 b  failed in "))
        #expect(shown.contains("s (program '/nonexistent/jcrun-test-command' not found)\n"))
    }

    /// jcrun killed while a build started first runs: that build was
    /// stored running with its group, so the next command reaps it and
    /// kills what it left; the build after it has no row. The id reserved
    /// for it stays a gap (the one trace of the kill in the ids).
    @Test func jcrunKilledMidBuildLeavesItToTheReaper() throws {
        let project = try TestProject([
            "jobs.yaml": """
                jobs:
                  - id: a
                    command: 'true'
                  - id: b
                    command: 'sleep 300 & echo $! > orphan.pid; wait'
                  - id: c
                    command: 'touch c.ran'

                """
        ])
        defer { project.remove() }
        let jcrun = try RunnerSafetyTests.start(["build", "a", "b", "c", "-j", "1", "-q"], in: project)
        let orphan = try RunnerSafetyTests.pid(in: "orphan.pid", of: project)
        kill(jcrun.processIdentifier, SIGKILL)
        jcrun.waitUntilExit()
        #expect(try builds(in: project) == ["#1 a successful", "#2 b failed"])  // "(runner died; ...)"
        var gone = false
        for _ in 0..<100 where !gone {
            gone = !RunnerSafetyTests.isAlive(orphan)
            if !gone { Thread.sleep(forTimeInterval: 0.1) }
        }
        if !gone { kill(orphan, SIGKILL) }  // the test's own leftover
        #expect(gone)
        #expect(!project.exists("c.ran"))
        #expect(try project.run(["build", "c", "-q"]).status == 0)
        #expect(try builds(in: project) == ["#1 a successful", "#2 b failed", "#4 c successful"])
    }

    /// `--no-wait` with the next job's lock held elsewhere: that job is not
    /// run and gets no row; the builds before and after it are stored.
    @Test func aHeldLockWithNoWaitLeavesNoRow() throws {
        let project = try TestProject(["jobs.yaml": Self.four])
        defer { project.remove() }
        #expect(try project.run(["build", "c", "-q"]).status == 0)  // makes c's lock file
        let locks = project.dir.appendingPathComponent(".jcrun/locks")
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: locks.path).first { $0.hasPrefix("c.") })
        // Held by this test process, as another jcrun would hold it.
        let fd = open(locks.appendingPathComponent(name).path, O_RDWR)
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        defer { close(fd) }
        let result = try project.run(["build", "a", "b", "c", "d", "-j", "1", "-k", "--no-wait", "-q"])
        #expect(result.status == 75)
        #expect(try builds(in: project) == [
            "#1 c successful", "#2 a successful", "#3 b successful", "#4 d successful",
        ])
        #expect(read("ids.txt", in: project) == "c 1\na 2\nb 3\nd 4\n")
    }
}
