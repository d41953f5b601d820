import CSpawn
import Foundation

/// jcrun's budget of open files: each running build holds a handful of
/// descriptors, so `-j 150` under the usual soft limit of 1024 would fail
/// builds with "too many open files". jcrun raises its soft limit to the
/// hard one at start (jobs still get the limit jcrun was started with) and
/// runs fewer builds at once when even that does not fit.
public enum OpenFileLimit {
    /// Descriptors one running build holds, with some room: its three pipes
    /// and the parent's copies of their write ends (6), its pidfd, the run
    /// loop's wake-up eventfd and the job's lock file (9 measured).
    public static let perBuild = 10
    /// Kept free for everything else (the store, the terminal, a JUnit report,
    /// a PostgreSQL connection per lock, the web server's connections).
    public static let reserve = 64

    /// Raises the soft limit to the hard limit; returns the soft limit in force.
    @discardableResult
    public static func raise() -> Int { Int(jc_raise_nofile_limit()) }

    /// The soft limit in force now (nil when it cannot be read).
    public static var current: Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY (all ones): Int.max
    }

    /// How many builds can run at once, up to `requested`, with the
    /// descriptors open now and the soft limit in force (at least 1).
    public static func buildsThatFit(_ requested: Int) -> Int {
        guard let limit = current, limit != Int.max else { return requested }
        let room = (limit - openCount() - reserve) / perBuild
        return max(1, min(requested, room))
    }

    /// Descriptors open in this process (entries of /proc/self/fd).
    static func openCount() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return 16 }
        defer { closedir(dir) }
        var count = -1  // the directory's own descriptor
        while let entry = readdir(dir) {
            if entry.pointee.d_name.0 != CChar(46) { count += 1 }  // not "." or ".."
        }
        return max(0, count)
    }
}
