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
    /// The identity of this process as a runner.
    public static func currentRunnerIdentity(processGroup: Int32? = nil) -> RunnerIdentity {
        let pid = getpid()
        return RunnerIdentity(
            host: hostName, pid: pid, processStart: processStart(of: pid) ?? 0,
            processGroup: processGroup)
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

    /// A process's start time in clock ticks since boot, nil if it is gone.
    public static func processStart(of pid: Int32) -> UInt64? {
        processStat(of: pid)?.start
    }

    /// State letter and start time from /proc/PID/stat. The command name in
    /// field 2 may hold spaces and parentheses, so fields count from the last ')'.
    static func processStat(of pid: Int32) -> (state: Character, start: UInt64)? {
        guard pid > 0,
            let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else {
            return nil
        }
        return (state, start)
    }
}

extension RunnerIdentity {
    /// This process as a runner (see `RunnerLiveness.currentRunnerIdentity`).
    public static func current(processGroup: Int32? = nil) -> RunnerIdentity {
        RunnerLiveness.currentRunnerIdentity(processGroup: processGroup)
    }
}
