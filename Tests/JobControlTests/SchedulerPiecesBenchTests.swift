import Foundation
import Testing

@testable import JobControl

/// Where a build's time goes: the launcher alone and the store alone, 1,000
/// times each (`JCRUN_BENCH=1 swift test --filter SchedulerPiecesBenchTests`).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["JCRUN_BENCH"] != nil))
struct SchedulerPiecesBenchTests {
    @Test func launcherAlone() {
        let launcher = ProcessLauncher()
        let spec = RunSpec(argv: ["/bin/true"], environment: ["PATH": "/bin"], workdir: "/tmp")
        let start = Date()
        for _ in 0..<1000 { _ = launcher.run(spec, control: RunControl()) { _ in } }
        print("bench: launcher alone, 1000 × /bin/true: \(Int(Date().timeIntervalSince(start) * 1000)) ms")
    }

    @Test func storeAlone() throws {
        let folder = "/tmp/jcrun-pieces-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let recorder = BuildRecorder(store: try SQLiteStore.open(path: folder + "/state.db", mode: .write))
        let runner = RunnerLiveness.currentRunnerIdentity()
        let start = Date()
        for index in 0..<1000 {
            let new = NewBuild(job: "job\(index)", trigger: "cli", reason: "never built", configSnapshot: "{}", configHash: "0")
            let record = try recorder.createBuild(new)
            try recorder.markStarted(record.id, runner: runner)
            try recorder.finishBuild(record.id, result: BuildResult(status: .successful, exitCode: 0))
        }
        print("bench: store alone, 1000 × create/start/finish: \(Int(Date().timeIntervalSince(start) * 1000)) ms")
        try recorder.close()
    }
}
