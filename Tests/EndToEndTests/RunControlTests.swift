import Foundation
import Testing

/// Signals and locks: the exit codes a cron job or CI relies on.
struct RunControlTests {
    static let slow = """
        jobs:
          - id: slow
            command: "echo started; sleep 20"
            stop_grace: 2s

        """

    /// Starts jcrun without waiting; stdout/stderr go to files in the project.
    static func start(_ arguments: [String], in project: TestProject) throws -> Process {
        let process = Process()
        process.executableURL = Jcrun.binary
        process.arguments = arguments
        process.currentDirectoryURL = project.dir
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits until the first build is stored as running (at most 10 s).
    static func waitUntilRunning(_ project: TestProject) throws {
        for _ in 0..<100 {
            let builds = try project.run(["builds", "--json"]).stdout
            if builds.contains("\"status\":\"running\"") { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    @Test func ctrlCStopsTheBuildAndExits130() throws {
        let project = try TestProject(["main.yaml": Self.slow])
        defer { project.remove() }
        let jcrun = try Self.start(["slow", "-q"], in: project)
        try Self.waitUntilRunning(project)
        jcrun.interrupt()  // SIGINT to the jcrun we started, by its pid
        jcrun.waitUntilExit()
        #expect(jcrun.terminationStatus == 130)
        let build = try #require(
            try TestProject.jsonLines(try project.run(["builds", "--json"]).stdout).first)
        #expect(build["status"] as? String == "failed")
        #expect(build["failure_kind"] as? String == "interrupted")
    }

    @Test func aLockedJobWithNoWaitExits75() throws {
        let project = try TestProject(["main.yaml": Self.slow])
        defer { project.remove() }
        let first = try Self.start(["slow", "-q"], in: project)
        defer {
            first.terminate()
            first.waitUntilExit()
        }
        try Self.waitUntilRunning(project)
        let second = try project.run(["slow", "--no-wait", "-q"])
        #expect(second.status == 75)
    }
}
