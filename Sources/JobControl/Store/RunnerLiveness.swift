import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Tells whether the runner of a `running` build still lives, and kills what
/// is left of a dead runner's build. The policy every store's
/// `reapDeadRunners` follows, kept apart from SQL.
///
/// A runner is dead when it ran on this host and its pid is gone, is a
/// zombie, or now belongs to a process that started at another time (the pid
/// was reused). A runner on another host is assumed alive: nothing here can
/// tell. Start times are clock ticks since boot, field 22 of /proc/PID/stat.
public enum RunnerLiveness {
    /// The identity of this process as a runner. Its start time is read
    /// from /proc once per process (a build used to read it twice); a
    /// forked copy of jcrun, with another pid, reads its own.
    public static func currentRunnerIdentity(processGroup: Int32? = nil) -> RunnerIdentity {
        let pid = getpid()
        return RunnerIdentity(
            host: hostName, pid: pid, processStart: OwnStart.shared.start(of: pid),
            processGroup: processGroup)
    }

    /// This process's start time, read once per pid.
    private final class OwnStart: @unchecked Sendable {
        static let shared = OwnStart()
        private let lock = NSLock()
        private var pid: Int32 = 0
        private var start: UInt64 = 0

        func start(of current: Int32) -> UInt64 {
            lock.withLock {
                if pid != current {
                    start = RunnerLiveness.processStart(of: current) ?? 0
                    pid = current
                }
                return start
            }
        }
    }

    /// This machine's name, as runners record it.
    public static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map(UInt8.init), as: UTF8.self)
    }()

    /// True unless `runner` ran on this host and its process is gone or reused.
    public static func isAlive(_ runner: RunnerIdentity) -> Bool {
        guard runner.host == hostName else { return true }
        guard let stat = processStat(of: runner.pid), stat.state != "Z" else { return false }
        return runner.processStart == 0 || stat.start == runner.processStart
    }

    /// Sends SIGKILL to `group` if any member still lives; true if it did.
    /// Refuses this process's own group and the first two pids.
    // TODO(#3): if the whole group exited and its id was later reused by an
    // unrelated group, that group is killed; nothing recorded tells them apart.
    @discardableResult
    public static func killGroup(_ group: Int32) -> Bool {
        guard group > 1, group != getpgrp(), kill(-group, 0) == 0 else { return false }
        return kill(-group, SIGKILL) == 0
    }

    /// Kills what is left of a dead runner's build whose process group was
    /// never recorded: jcrun was killed after starting the job but before
    /// `markStarted` stored the group. The job's processes are found by the
    /// `JCRUN_BUILD_ID` and `JCRUN_JOB_ID` in their environment, started
    /// after the runner, in a session whose leader (the job's direct child,
    /// killed with the runner) is gone: a live build elsewhere with the same
    /// ids still has its leader. Returns how many processes it killed.
    // TODO(#3): orphans of another store's dead build with the same build id
    // and job id, started after this runner, are killed too; the environment
    // holds nothing naming the store.
    @discardableResult
    public static func killUnrecordedProcesses(
        build: BuildID, job: String, runner: RunnerIdentity
    ) -> Int {
        guard runner.host == hostName,
            let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc")
        else { return 0 }
        let markers = [Array("JCRUN_BUILD_ID=\(build)".utf8), Array("JCRUN_JOB_ID=\(job)".utf8)]
        func marked(_ pid: Int32) -> Bool {
            guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { return false }
            let variables = environment.split(separator: 0).map(Array.init)
            return markers.allSatisfy { variables.contains($0) }
        }
        var leaderGone: [Int32: Bool] = [:]
        var killed = 0
        for entry in entries {
            guard let pid = Int32(entry), pid > 1, pid != getpid(),
                let stat = processStat(of: pid), stat.state != "Z", stat.start >= runner.processStart,
                marked(pid)
            else { continue }
            let gone = leaderGone[stat.session] ?? leaderEnds(stat.session, marked: marked)
            leaderGone[stat.session] = gone
            if gone, kill(pid, SIGKILL) == 0 { killed += 1 }
        }
        return killed
    }

    /// Whether the session leader `leader` is gone. The dead runner's own
    /// job child gets SIGKILL when the runner dies (its parent-death
    /// signal), but that may land a moment after the runner is seen dead:
    /// a leader carrying the build's markers gets up to a second to end.
    private static func leaderEnds(_ leader: Int32, marked: (Int32) -> Bool) -> Bool {
        func gone() -> Bool { processStat(of: leader).map { $0.state == "Z" } ?? true }
        if gone() { return true }
        guard leader != getpid(), marked(leader) else { return false }
        for _ in 0..<100 {
            usleep(10_000)
            if gone() { return true }
        }
        return false
    }

    /// A process's start time in clock ticks since boot, nil if it is gone.
    public static func processStart(of pid: Int32) -> UInt64? {
        processStat(of: pid)?.start
    }

    /// State letter, session and start time from /proc/PID/stat. The command
    /// name in field 2 may hold spaces and parentheses, so fields count from the last ')'.
    static func processStat(of pid: Int32) -> (state: Character, session: Int32, start: UInt64)? {
        guard pid > 0,
            let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 6 (session) is fields[3];
        // field 22 (starttime) is fields[19].
        guard fields.count > 19, let state = fields[0].first, let session = Int32(fields[3]),
            let start = UInt64(fields[19])
        else { return nil }
        return (state, session, start)
    }
}

extension RunnerIdentity {
    /// This process as a runner (see `RunnerLiveness.currentRunnerIdentity`).
    public static func current(processGroup: Int32? = nil) -> RunnerIdentity {
        RunnerLiveness.currentRunnerIdentity(processGroup: processGroup)
    }
}
