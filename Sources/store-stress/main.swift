import Foundation
import JobControl

// A writer process for the store's multi-process tests (Tests/JobControlTests/
// StoreProcessTests.swift): several of these write one database at once, or
// one is killed with SIGKILL in the middle of a batch.
//
//   store-stress write DB WORKER BUILDS LINES   builds of job wWORKER, LINES lines each
//   store-stress hang DB                        a running build that logs until killed;
//                                               prints "BUILD PGID" once lines flow

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("store-stress: \(message)\n".utf8))
    exit(1)
}

func write(path: String, worker: String, builds: Int, lines: Int) throws {
    let store = try SQLiteStore.open(path: path, mode: .write)
    let recorder = BuildRecorder(store: store)
    for _ in 0..<builds {
        let build = try recorder.createBuild(NewBuild(
            job: "w\(worker)", trigger: "test", reason: "stress", configSnapshot: "{}", configHash: "h"))
        for line in 0..<lines {
            recorder.log(build.id, stream: .stdout, level: .info, text: "worker \(worker) line \(line)")
            if line % 100 == 0 {
                recorder.progress(build.id, ProgressUpdate(group: [], current: line, total: lines))
            }
        }
        try recorder.finishBuild(build.id, result: BuildResult(status: .successful, retval: worker))
    }
    try recorder.close()
    if let failure = recorder.takeFailure() { throw failure }
}

func hang(path: String) throws -> Never {
    let store = try SQLiteStore.open(path: path, mode: .write)
    let recorder = BuildRecorder(store: store, flushInterval: 0.005, batchSize: 200)
    let build = try recorder.createBuild(NewBuild(
        job: "hang", trigger: "test", reason: "killed mid-batch", configSnapshot: "{}", configHash: "h"))
    // A child in its own process group (Foundation's Process makes one), as
    // a runner's job would be; it outlives us.
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/bin/sleep")
    child.arguments = ["300"]
    try child.run()
    try recorder.markStarted(build.id, runner: .current(processGroup: child.processIdentifier))
    var line = 0
    while true {
        line += 1
        recorder.log(build.id, stream: .stdout, level: .info, text: "line \(line)")
        if line == 5_000 {
            try recorder.flush()
            FileHandle.standardOutput.write(Data("\(build.id) \(child.processIdentifier)\n".utf8))
        }
        if line % 1_000 == 0 { usleep(1_000) }
    }
}

let arguments = CommandLine.arguments
do {
    switch arguments.dropFirst().first {
    case "write" where arguments.count == 6:
        try write(path: arguments[2], worker: arguments[3], builds: Int(arguments[4]) ?? 1,
                  lines: Int(arguments[5]) ?? 1)
    case "hang" where arguments.count == 3:
        try hang(path: arguments[2])
    default:
        fail("usage: store-stress write DB WORKER BUILDS LINES | hang DB")
    }
} catch {
    fail("\(error)")
}
