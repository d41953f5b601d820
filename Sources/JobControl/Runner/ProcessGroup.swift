import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The processes of one process group that still run, read from /proc.
///
/// `kill(-group, 0)` is not enough to tell whether a job's group is gone: it
/// also succeeds while a member is a zombie, and an orphaned zombie waits for
/// init, which in a container may reap late or never. The runner would then
/// wait the whole `stop_grace` for processes that already died.
enum ProcessGroup {
    /// How many members of `group` are alive (not zombies); 0 when the group
    /// is gone. Without /proc, 1 while `kill(-group, 0)` still succeeds.
    static func liveMembers(of group: pid_t) -> Int {
        guard group > 1 else { return 0 }
        // The common case, a group already gone, costs one system call; the
        // scan below runs only while some member, maybe a zombie, remains.
        guard kill(-group, 0) == 0 else { return 0 }
        guard let proc = opendir("/proc") else { return kill(-group, 0) == 0 ? 1 : 0 }
        defer { closedir(proc) }
        var count = 0
        var buffer = [UInt8](repeating: 0, count: 512)
        while let entry = readdir(proc) {
            let pid: pid_t? = withUnsafeBytes(of: entry.pointee.d_name) { name in
                var value: pid_t = 0
                for byte in name {
                    if byte == 0 { break }
                    guard byte >= 48, byte <= 57 else { return nil }
                    value = value * 10 + pid_t(byte - 48)
                }
                return value > 0 ? value : nil
            }
            guard let pid, let (state, processGroup) = stat(of: pid, into: &buffer) else { continue }
            if processGroup == group && state != UInt8(ascii: "Z") && state != UInt8(ascii: "X") {
                count += 1
            }
        }
        return count
    }

    /// State letter and process group (fields 3 and 5) of /proc/PID/stat.
    /// The command name in field 2 may hold spaces and parentheses, so fields
    /// count from the last ')'.
    private static func stat(of pid: pid_t, into buffer: inout [UInt8]) -> (UInt8, pid_t)? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0, let close = buffer[..<count].lastIndex(of: UInt8(ascii: ")")) else {
            return nil
        }
        // After ')': " S ppid pgrp ..."
        let fields = buffer[(close + 1)..<count].split(separator: UInt8(ascii: " "), maxSplits: 4)
        guard fields.count >= 3, let state = fields[0].first else { return nil }
        var group: pid_t = 0
        for byte in fields[2] {
            guard byte >= 48, byte <= 57 else { return nil }
            group = group * 10 + pid_t(byte - 48)
        }
        return (state, group)
    }
}
