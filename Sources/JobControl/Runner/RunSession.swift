import CSpawn
import Foundation

/// One attempt of one job: the child, its three streams and the loop that
/// reads them, enforces the timeout and answers interrupts. Used by one
/// thread only, from `ProcessLauncher.run`.
final class RunSession {
    /// Why the runner stopped the job.
    enum StopReason {
        case timeout
        case interrupt(Int32)
    }

    let spec: RunSpec
    let control: RunControl
    let launcher: ProcessLauncher
    let onEvent: @Sendable (RunEvent) -> Void
    let masker: SecretMasker
    /// stdout, stderr and descriptor 3, in that order.
    var streams: [StreamState] = []
    var retval: String?
    var skipReason: String?
    var skipped = false
    var warnedDirectivesOff = false
    /// jcrun's copies of the child's pipe write ends, until it exits.
    var writeEnds: [Int32] = []
    /// Read buffer shared by the streams.
    let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 64 * 1024)

    init(
        spec: RunSpec, control: RunControl, launcher: ProcessLauncher,
        onEvent: @escaping @Sendable (RunEvent) -> Void
    ) {
        self.spec = spec
        self.control = control
        self.launcher = launcher
        self.onEvent = onEvent
        self.masker = SecretMasker(spec.secrets)
    }

    deinit { buffer.deallocate() }

    func run() -> RunOutcome {
        if let signal = control.requestedSignal {
            return RunOutcome(termination: .interrupted(signal))
        }
        let child: ChildProcess
        let start = ChildProcess.start(spec)
        LateClose.closeAll()  // the last job's, now that this one started
        switch start {
        case .success(let started): child = started
        case .failure(let error):
            let message = masker.mask(error.description)
            return RunOutcome(termination: .startFailed(code: error.exitCode, message: message))
        }
        writeEnds = child.writeFDs
        defer { releaseWriteEnds() }
        onEvent(.started(pid: child.pid))
        let stdoutDirectives = spec.directives == .stdout
        streams = [
            StreamState(
                fd: child.stdoutFD, stream: .stdout, role: stdoutDirectives ? .directives : .output,
                masker: masker),
            StreamState(fd: child.stderrFD, stream: .stderr, role: .output, masker: masker),
            StreamState(
                fd: child.directiveFD, stream: .stdout,
                role: spec.directives == .off ? .directivesOff : .directives,
                masker: masker),
        ]
        let wake = WakeUp.take()
        control.onInterrupt { _, _ in wake.signal() }
        let status = watch(child, wake: wake)
        wake.giveBack()
        if child.pidFD >= 0 { LateClose.add(child.pidFD) }
        return RunOutcome(
            termination: status, retval: retval, skipped: skipped, skipReason: skipReason)
    }

    /// Nanoseconds on the monotonic clock.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    static func seconds(_ value: Double) -> Int64 { Int64(value * 1_000_000_000) }

    /// Closes jcrun's copies of the write ends (once the child exited), so
    /// that the streams can end.
    func releaseWriteEnds() {
        for fd in writeEnds { close(fd) }
        writeEnds.removeAll()
    }

    /// Signals the job's whole process group.
    func signalGroup(_ child: ChildProcess, _ signal: Int32) {
        _ = jc_kill_group(child.pid, signal)  // ESRCH: the group is gone already
    }
}

/// Wakes the run loop's poll from another thread (an interrupt). Safe to
/// signal after the loop ended: a late signal at most wakes the next loop
/// that uses this eventfd once for nothing.
///
/// Eventfds are kept for the next attempt (`take`, `giveBack`) instead of
/// being made and closed for every build.
final class WakeUp: @unchecked Sendable {
    private let lock = NSLock()
    private var fd: Int32
    /// Signalled since the last drain: the counter may be non-zero.
    private var signalled = false

    private static let poolLock = NSLock()
    nonisolated(unsafe) private static var pool: [WakeUp] = []

    init() { fd = jc_wake_open() }

    /// A drained `WakeUp` from the pool, or a new one.
    static func take() -> WakeUp {
        if let kept = poolLock.withLock({ pool.popLast() }) { return kept }
        return WakeUp()
    }

    /// Returns this `WakeUp` to the pool, emptied (closed if it failed to open).
    func giveBack() {
        guard descriptor >= 0 else { return }
        drain()
        WakeUp.poolLock.withLock { WakeUp.pool.append(self) }
    }

    var descriptor: Int32 { lock.withLock { fd } }

    func signal() {
        lock.withLock {
            if fd >= 0 { jc_wake_signal(fd) }
            signalled = true
        }
    }

    /// Empties the counter after a wake-up.
    func drain() {
        lock.withLock {
            if fd >= 0 && signalled { jc_wake_drain(fd) }
            signalled = false
        }
    }
}
