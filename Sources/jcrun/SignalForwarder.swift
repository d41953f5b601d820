import Foundation

/// Catches SIGINT, SIGTERM and SIGHUP while a run is going and hands each
/// one to `onSignal` on an ordinary thread.
///
/// The handler only writes the signal number to a pipe (all a signal handler
/// may safely do); a thread reads it and calls `onSignal`. A caught signal,
/// unlike an ignored or blocked one, is reset to its default in the jobs
/// jcrun starts, so they still see Ctrl-C normally.
final class SignalForwarder: @unchecked Sendable {
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    /// The pipe's write end, for the C signal handler (which cannot capture).
    nonisolated(unsafe) private static var writeEnd: Int32 = -1

    private let readEnd: Int32
    private let thread: Thread

    /// Installs the handlers; `onSignal` gets each signal number as it comes.
    ///
    /// - Throws: `CLIError.system` when no pipe can be made (no file
    ///   descriptor left): a run that could not stop its jobs on Ctrl-C is
    ///   not started.
    init(onSignal: @escaping @Sendable (Int32) -> Void) throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            let reason = String(cString: strerror(errno)).lowercased()
            throw CLIError.system(
                "cannot catch Ctrl-C for this run: pipe(2) failed: \(reason); close files or raise 'ulimit -n'"
            )
        }
        readEnd = ends[0]
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        SignalForwarder.writeEnd = ends[1]
        let readEnd = ends[0]
        thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 {
                    onSignal(Int32(byte))
                    continue
                }
                if count < 0 && errno == EINTR { continue }
                return
            }
        }
        thread.start()
        SignalForwarder.installed = true
        for number in SignalForwarder.signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(SignalForwarder.writeEnd, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }

        // A parent may have started jcrun with these signals blocked (a test
        // runner, some supervisors); unblock them on this thread so they arrive.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for number in SignalForwarder.signals { sigaddset(&unblock, number) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// Hands `signal` to `onSignal` as if it had arrived (a broken pipe);
    /// false when no forwarder is installed.
    static func deliver(_ signal: Int32) -> Bool {
        guard writeEnd >= 0, installed else { return false }
        var byte = UInt8(truncatingIfNeeded: signal)
        return write(writeEnd, &byte, 1) == 1
    }

    nonisolated(unsafe) private static var installed = false

    /// Puts the default dispositions back (the reading thread ends with the process).
    func restore() {
        SignalForwarder.installed = false
        for number in SignalForwarder.signals { signal(number, SIG_DFL) }
    }

    /// The exit status for a run interrupted by `signal`: 128 + its number.
    static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }
}
