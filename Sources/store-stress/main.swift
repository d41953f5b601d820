import CSQLite
import Foundation
import JobControl

// A writer process for the store's multi-process tests (Tests/JobControlTests/
// StoreProcessTests.swift): several of these write one database at once, or
// one is killed with SIGKILL in the middle of a batch.
//
//   store-stress write DB WORKER BUILDS LINES   builds of job wWORKER, LINES lines each
//   store-stress hang DB                        a running build that logs until killed;
//                                               prints "BUILD PGID" once lines flow
//   store-stress bench DIR                      the issue #3 measurements (build with -c release)

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
    let recorder = BuildRecorder(store: store, flushInterval: 0.005, batchBytes: 4_096)
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

/// Seconds `body` takes.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// CPU seconds (user + system, all threads) of this process so far. On a
/// machine shared with compilers, wall time says little; CPU time does.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// "N lines in W s wall, C s CPU = R lines per CPU-second".
func rate(_ lines: Int, wall: Double, cpu: Double) -> String {
    let perWall = Int(Double(lines) / wall), perCPU = Int(Double(lines) / cpu)
    return "\(lines) lines in \(String(format: "%.2f", wall)) s wall (\(perWall)/s), "
        + "\(String(format: "%.2f", cpu)) s CPU (\(perCPU) lines per CPU-second)"
}

func fileSize(_ path: String) -> Int {
    ["", "-wal"].reduce(0) { total, suffix in
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix)
        return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
    }
}

func bench(folder: String) throws {
    // 1. One build printing 1,000,000 lines through the recorder.
    let logPath = folder + "/log.db"
    let store = try SQLiteStore.open(path: logPath, mode: .write)
    let recorder = BuildRecorder(store: store)
    let build = try recorder.createBuild(NewBuild(
        job: "chatty", trigger: "bench", reason: "bench", configSnapshot: "{}", configHash: "h"))
    let emptySize = fileSize(logPath)
    let before = store.transactionCount
    let lines = 1_000_000
    let cpuBefore = cpuSeconds()
    let seconds = try measure {
        for line in 0..<lines {
            recorder.log(build.id, stream: .stdout, level: .info, text: "line \(line) of the build's output, about sixty bytes long")
        }
        try recorder.finishBuild(build.id, result: BuildResult(status: .successful))
    }
    let cpu = cpuSeconds() - cpuBefore
    try recorder.close()
    print("recorder: \(rate(lines, wall: seconds, cpu: cpu)); \(store.transactionCount - before) transactions")
    print("log: database grew by \((fileSize(logPath) - emptySize) / 1_048_576) MiB per million lines of 60 bytes")

    // 1b. The store alone: appendLogs in batches of 1,000 prepared lines.
    let rawStore = try SQLiteStore.open(path: folder + "/raw.db", mode: .write)
    let rawBuild = try rawStore.createBuild(NewBuild(
        job: "chatty", trigger: "bench", reason: "bench", configSnapshot: "{}", configHash: "h"))
    let now = Date()
    let batches = (0..<1_000).map { batch in
        (1...1_000).map { line in
            LogEntry(build: rawBuild.id, seq: Int64(batch * 1_000 + line), time: now, stream: .stdout,
                     level: .info, text: "line \(line) of the build's output, about sixty bytes long")
        }
    }
    let rawCPU = cpuSeconds()
    let rawSeconds = try measure { for batch in batches { try rawStore.appendLogs(batch) } }
    print("appendLogs: \(rate(1_000_000, wall: rawSeconds, cpu: cpuSeconds() - rawCPU))")
    if ProcessInfo.processInfo.environment["BENCH_LOG_ONLY"] != nil { return }

    // 2. A million builds of 10,000 jobs, inserted in bulk.
    let buildsPath = folder + "/builds.db"
    let big = try SQLiteStore.open(path: buildsPath, mode: .write)
    big.close()
    var db: OpaquePointer?
    sqlite3_open(buildsPath, &db)
    let fill = """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
        INSERT INTO builds (job, status, reason, triggered_by, config_hash, config_snapshot, created_at,
                            started_at, finished_at)
        SELECT 'job' || (i % 10000),
               CASE i % 7 WHEN 0 THEN 'failed' WHEN 1 THEN 'skipped' ELSE 'successful' END,
               'bench', 'cli', 'h', '{"command":["scripts/x.sh"]}', 1700000000000000 + i * 1000000,
               1700000000000000 + i * 1000000, 1700000000000000 + i * 1000000 + 5000000
        FROM n;
        """
    let fillSeconds = ProcessInfo.processInfo.environment["BENCH_REUSE_BUILDS"] != nil
        ? 0 : measure { sqlite3_exec(db, fill, nil, nil, nil) }
    sqlite3_close(db)
    print("builds: 1,000,000 inserted in \(String(format: "%.1f", fillSeconds)) s; file \(fileSize(buildsPath) / 1_048_576) MiB")

    // 3. The queries `builds --limit 20`, `list` and the planner make.
    let reader = try SQLiteStore.open(path: buildsPath, mode: .readOnly)
    let jobs = (0..<10_000).map { "job\($0)" }
    _ = try reader.builds(BuildQuery(limit: 20))  // warm the cache, as a second run would be
    _ = try reader.jobStates(Array(jobs.prefix(100)))
    for (name, body) in [
        ("builds --limit 20", { _ = try reader.builds(BuildQuery(limit: 20)) }),
        ("builds JOB --limit 20", { _ = try reader.builds(BuildQuery(job: "job42", limit: 20)) }),
        ("builds --status failed --limit 20", { _ = try reader.builds(BuildQuery(status: .failed, limit: 20)) }),
        ("jobStates of 100 jobs (list)", { _ = try reader.jobStates(Array(jobs.prefix(100))) }),
        ("jobStates of 10,000 jobs", { _ = try reader.jobStates(jobs) }),
    ] as [(String, () throws -> Void)] {
        var best = (wall: Double.infinity, cpu: Double.infinity)
        for _ in 0..<5 {
            let cpu = cpuSeconds()
            let wall = try measure(body)
            best = (min(best.wall, wall), min(best.cpu, cpuSeconds() - cpu))
        }
        print("query: \(name): \(String(format: "%.2f", best.wall * 1000)) ms wall, "
            + "\(String(format: "%.1f", best.cpu * 1000)) ms CPU (best of 5)")
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
    case "bench" where arguments.count == 3:
        try bench(folder: arguments[2])
    default:
        fail("usage: store-stress write DB WORKER BUILDS LINES | hang DB | bench DIR")
    }
} catch {
    fail("\(error)")
}
