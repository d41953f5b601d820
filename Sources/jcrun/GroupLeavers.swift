import CSpawn
import Foundation

/// Processes of a run's jobs that left their build's process group (`setsid
/// cmd &`, a daemon forking into a new session), out of reach of the group's
/// stop: stopped when the run ends, with a warning.
///
/// During a run jcrun is its jobs' subreaper (`PR_SET_CHILD_SUBREAPER`):
/// a process whose parent exits is handed to jcrun instead of to init. Each
/// job's own process is waited for by the runner by its pid before the run
/// ends, so every child jcrun still has then descends from a job, and
/// escaped its group. Nothing here waits for any process but those: a job's
/// exit status is never taken.
// TODO(#4): such a process runs until the run ends (not the build; a
// session leader that ended stays a zombie until then: only processes that
// lead no group are reaped during the run, to never take a job's status), and
// one of a `jcrun worker` build, or of a run whose jcrun was killed, is not
// stopped at all (the reaper kills the recorded group only).
final class GroupLeavers: @unchecked Sendable {
    private let lock = NSLock()
    /// `stop` is under way: a signal now means SIGKILL at once.
    private var stopping = false
    private var hurried = false

    /// Makes jcrun the reaper of its jobs' orphans; false when the kernel
    /// refuses (they then go to init, as without it). A thread then reaps,
    /// once a second, the orphans that ended meanwhile (a job's leftovers
    /// its group's stop killed), so that a long run does not pile up zombies.
    @discardableResult
    func adopt() -> Bool {
        guard jc_become_subreaper() == 0 else { return false }
        let thread = Thread {
            while true {
                sleep(1)
                Self.reapEndedOrphans()
            }
        }
        thread.start()
        return true
    }

    /// A signal arrived (Ctrl-C, SIGTERM, SIGHUP): while `stop` waits for
    /// the leavers, they get SIGKILL at once; before, it changes nothing
    /// (the run's own interrupt handles it).
    func hurry() {
        lock.withLock { if stopping { hurried = true } }
    }

    private var isHurried: Bool { lock.withLock { hurried } }

    /// Reaps the zombies among jcrun's children that are not a job's own
    /// process: those lead no process group (each job's process leads its
    /// session and group, and only the runner waits for it).
    private static func reapEndedOrphans() {
        for pid in children() {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After the command name: state, parent, process group.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] == "Z", let group = Int32(fields[2]), group != pid
            else { continue }
            _ = reapIfDead(pid)
        }
    }

    /// Stops what is left: SIGTERM to each child's process group (or to
    /// the child alone when it leads none), SIGKILL to what still runs after
    /// `grace` seconds or at once after `hurry()`, each reaped, and their
    /// orphans after them. `waiting` gets one line when some outlive
    /// SIGTERM by half a second (what it stops, and that Ctrl-C kills them
    /// now). Returns one warning
    /// line naming the processes and their builds, or nil when there were
    /// none. Costs a read of `/proc/self/task/*/children` when there are none.
    func stop(grace: Double, waiting: (String) -> Void) -> String? {
        lock.withLock { stopping = true }
        var found: [Int32: String] = [:]
        let started = Date()
        let deadline = started.addingTimeInterval(grace)
        var killed = false
        var said = false
        while true {
            let alive = Self.children().filter { !Self.reapIfDead($0) }
            // Done; or given up on what SIGKILL did not end (not ours to signal).
            if alive.isEmpty || Date() >= deadline.addingTimeInterval(2) { break }
            let late = Date() >= deadline || isHurried
            for pid in alive {
                if found[pid] == nil {
                    found[pid] = Self.build(of: pid)
                    Self.signal(pid, late ? SIGKILL : SIGTERM)
                    killed = killed || late
                } else if late {
                    Self.signal(pid, SIGKILL)
                    killed = true
                }
            }
            // Said only of what outlived SIGTERM by half a second.
            if !said && !late && Date() >= started.addingTimeInterval(0.5) {
                said = true
                let count = alive.count == 1 ? "1 process" : "\(alive.count) processes"
                waiting(
                    "stopping \(count) that left their job's process group (SIGTERM, SIGKILL after"
                        + " \(Int(grace))s; Ctrl-C kills them now)")
            }
            usleep(20_000)
        }
        guard !found.isEmpty else { return nil }
        let pids = found.keys.sorted()
        // By build number: #8 before #10.
        let number = { (text: String) in Int(text.dropFirst("build #".count).prefix { $0.isNumber }) ?? 0 }
        let builds = Set(found.values.filter { !$0.isEmpty }).sorted { number($0) < number($1) }
        let count = pids.count == 1 ? "1 process" : "\(pids.count) processes"
        let of = builds.isEmpty ? "" : " of " + builds.joined(separator: ", ")
        let list = pids.map(String.init).joined(separator: ", ")
        return "\(count)\(of) left their job's process group and still ran after"
            + " the run (pid \(list)); jcrun sent SIGTERM"
            + (killed ? ", then SIGKILL" + (isHurried ? " at Ctrl-C" : " after \(Int(grace))s") : "")
    }

    /// SIGTERM or SIGKILL to the group `pid` leads, else to `pid` alone.
    private static func signal(_ pid: Int32, _ signal: Int32) {
        if getpgid(pid) == pid { kill(-pid, signal) } else { kill(pid, signal) }
    }

    /// Reaps `pid` when it is a zombie; true then (or when it is gone).
    private static func reapIfDead(_ pid: Int32) -> Bool {
        var status: Int32 = 0
        var result: Int32
        repeat { result = waitpid(pid, &status, WNOHANG) } while result < 0 && errno == EINTR
        return result == pid || result < 0
    }

    /// This process's children, from every thread's `children` list.
    private static func children() -> [Int32] {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        else { return [] }
        var pids: Set<Int32> = []
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/self/task/\(task)/children", encoding: .utf8)
            else { continue }
            for word in text.split(separator: " ") {
                if let pid = Int32(word.trimmingCharacters(in: .whitespacesAndNewlines)) { pids.insert(pid) }
            }
        }
        return pids.sorted()
    }

    /// `build #N of 'job'` from the process's environment, or "" when it
    /// cannot be read or carries no build.
    private static func build(of pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return "" }
        var id: String?
        var job: String?
        for variable in data.split(separator: 0) {
            let text = String(decoding: variable, as: UTF8.self)
            if text.hasPrefix("JCRUN_BUILD_ID=") { id = String(text.dropFirst("JCRUN_BUILD_ID=".count)) }
            if text.hasPrefix("JCRUN_JOB_ID=") { job = String(text.dropFirst("JCRUN_JOB_ID=".count)) }
        }
        guard let id, let job else { return "" }
        return "build #\(id) of '\(job)'"
    }
}
