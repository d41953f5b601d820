import Foundation

/// Starts one attempt of a build and reports what it does. The scheduler
/// holds one; tests give it a fake that replays scripted events.
public protocol JobLauncher: Sendable {
    /// Runs `spec` to the end on the calling thread, calling `onEvent` (on
    /// any thread, but never concurrently) for each event in order, and
    /// returns how it ended. `control` lets another thread stop it.
    func run(_ spec: RunSpec, control: RunControl, onEvent: @escaping @Sendable (RunEvent) -> Void) -> RunOutcome
}

/// A handle another thread uses to stop a running attempt: the scheduler on
/// SIGINT/SIGTERM/SIGHUP, a second Ctrl-C to kill at once.
public final class RunControl: @unchecked Sendable {
    private let lock = NSLock()
    private var _requested: Int32?
    private var _killNow = false
    private var handlers: [@Sendable (Int32, Bool) -> Void] = []

    public init() {}

    /// The signal jcrun received, if a stop was requested.
    public var requestedSignal: Int32? { lock.withLock { _requested } }
    public var killRequested: Bool { lock.withLock { _killNow } }

    /// Asks the attempt to stop: its group gets `signal`, then SIGKILL after
    /// its stop grace, or at once when `immediately`.
    public func interrupt(signal: Int32, immediately: Bool = false) {
        let toCall: [@Sendable (Int32, Bool) -> Void] = lock.withLock {
            if _requested == nil { _requested = signal }
            if immediately { _killNow = true }
            return handlers
        }
        for handler in toCall { handler(signal, immediately) }
    }

    /// The runner registers what to do on `interrupt` (signal the group).
    /// Called at once if a stop was already requested.
    public func onInterrupt(_ handler: @escaping @Sendable (Int32, Bool) -> Void) {
        let pending: (Int32, Bool)? = lock.withLock {
            handlers.append(handler)
            return _requested.map { ($0, _killNow) }
        }
        if let pending { handler(pending.0, pending.1) }
    }
}
