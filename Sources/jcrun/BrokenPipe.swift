import Foundation
import JobControl

/// What jcrun does when the reader of its stdout or stderr goes away
/// (`jcrun --json -B slow | head -1`).
///
/// SIGPIPE is caught by a handler that does nothing, so a write fails with
/// EPIPE instead of killing jcrun and leaving its builds `running` (a caught
/// signal, unlike an ignored one, is back to its default in the jobs and
/// cleanup commands jcrun starts). The first EPIPE then counts as an
/// interrupt by SIGPIPE: a build stops as on SIGTERM, its builds end
/// `interrupted`, and jcrun exits 141 (128 + SIGPIPE). A command that is
/// not building has nothing to stop and exits 141 at once.
enum BrokenPipe {
    nonisolated(unsafe) private static var seen = false
    private static let lock = NSLock()

    /// Installs the handler; call once, first thing.
    static func install() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(SIGPIPE, &action, nil)
        FileDescriptorOutput.onBrokenPipe = { BrokenPipe.handle() }
    }

    private static func handle() {
        let first: Bool = lock.withLock {
            defer { seen = true }
            return !seen
        }
        guard first else { return }
        if !SignalForwarder.deliver(SIGPIPE) {
            _exit(SignalForwarder.exitStatus(for: SIGPIPE))
        }
    }
}
