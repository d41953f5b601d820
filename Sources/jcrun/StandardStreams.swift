import Foundation

/// jcrun's three standard file descriptors, checked before anything runs.
///
/// A closed descriptor would be reused by the next file jcrun opens: with fd
/// 1 closed (`jcrun --json x >&-`) the results would be written into the
/// state database. A closed stdin or stderr is reopened on `/dev/null`
/// (messages are then lost, as the caller asked); a closed stdout refuses
/// the command before it runs anything, since its output would be lost.
enum StandardStreams {
    /// Nil when jcrun may go on, else the message to print (exit 74).
    static func check() -> String? {
        for fd: Int32 in [0, 2] where isClosed(fd) {
            let null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY)
            if null >= 0 && null != fd {
                dup2(null, fd)
                close(null)
            }
        }
        guard isClosed(1) else { return nil }
        return "jcrun: error: standard output is closed; redirect it to a file or /dev/null\n"
    }

    private static func isClosed(_ fd: Int32) -> Bool {
        fcntl(fd, F_GETFD) == -1 && errno == EBADF
    }
}
