import Foundation
import Testing

@testable import JobControl

/// Collects a launcher's events from whatever thread sends them; lines
/// read at once (`.outputLines`) are kept as the `.output` events they stand
/// for, so a test sees every line alike however the reads fell.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [RunEvent] = []
    /// How many `.outputLines` events came, and how many lines in them.
    private(set) var batches = 0
    private(set) var batchedLines = 0

    func append(_ event: RunEvent) {
        lock.withLock {
            if case .outputLines(let lines) = event {
                #expect(!lines.isEmpty)
                batches += 1
                batchedLines += lines.count
                events.append(contentsOf: lines.events())
            } else {
                events.append(event)
            }
        }
    }

    var all: [RunEvent] { lock.withLock { events } }

    /// Events other than `started`.
    var reported: [RunEvent] {
        all.filter { if case .started = $0 { return false } else { return true } }
    }

    /// Output texts of `stream`, in order.
    func lines(_ stream: LogStream) -> [String] {
        all.compactMap {
            if case .output(stream, let text, _, _) = $0 { return text } else { return nil }
        }
    }

    /// jcrun's own warnings (`.notice`), not the job's `@log warning` lines.
    var warnings: [String] {
        all.compactMap {
            if case .notice(.warning, let message) = $0 { return message } else { return nil }
        }
    }

    var pid: Int32? {
        all.lazy.compactMap { if case .started(let pid) = $0 { return pid } else { return nil } }
            .first
    }
}

/// A temporary folder under /tmp holding a job's script, removed at deinit.
final class ScratchDir {
    let path: String

    init() {
        let template = NSTemporaryDirectory() + "jcrun-runner-XXXXXX"
        var bytes = Array(template.utf8CString)
        path = bytes.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `body` to `name` (executable by default); returns its path.
    @discardableResult
    func write(_ name: String, _ body: String, executable: Bool = true) -> String {
        let file = path + "/" + name
        FileManager.default.createFile(atPath: file, contents: Data(body.utf8))
        chmod(file, executable ? 0o755 : 0o644)
        return file
    }
}

/// The environment most tests give a job.
let baseEnvironment: [String: String] = [
    "PATH": "/usr/bin:/bin", "JCRUN": "1", "JCRUN_DIRECTIVE_FD": "3",
]

/// Runs `script` with /bin/sh in a scratch folder and returns what happened.
func runScript(
    _ script: String, timeout: Seconds? = nil, stopGrace: Seconds = 1,
    directives: DirectiveMode = .stdout, secrets: [String] = [],
    environment: [String: String] = baseEnvironment,
    control: RunControl = RunControl(), launcher: ProcessLauncher = ProcessLauncher()
) -> (RunOutcome, EventLog, ScratchDir) {
    let dir = ScratchDir()
    let file = dir.write("job.sh", script)
    let spec = RunSpec(
        argv: ["/bin/sh", file], environment: environment, workdir: dir.path, timeout: timeout,
        stopGrace: stopGrace, directives: directives, secrets: secrets)
    let log = EventLog()
    let outcome = launcher.run(spec, control: control) { log.append($0) }
    return (outcome, log, dir)
}

/// True while a process with `pid` exists (zombies excluded).
func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z"
}

/// True once `pid` is gone; SIGKILL is delivered asynchronously, so this
/// looks again for up to two seconds.
func becomesDead(_ pid: Int32) -> Bool {
    for _ in 0..<40 {
        if !isAlive(pid) { return true }
        usleep(50_000)
    }
    return false
}
