import Foundation

/// The observer, called by one thread at a time (BuildObserver's contract).
///
/// Calls may be held back (`sendLater`) so that a worker can start its next
/// build before it renders the lines around it (issue #4): held calls run,
/// in order, before any later `send` from any thread and at `flush`, so the
/// observer sees every call in the order they were made.
final class ObserverGate: @unchecked Sendable {
    private let lock = NSLock()
    private let observer: BuildObserver?
    /// Calls held back by `sendLater`, oldest first.
    private var held: [(BuildObserver) -> Void] = []

    /// The observer's `outputLineLimit`; 0 without an observer.
    let outputLineLimit: Int?

    init(_ observer: BuildObserver?) {
        self.observer = observer
        outputLineLimit = observer == nil ? 0 : observer?.outputLineLimit
    }

    /// Calls `body` with the observer, after the calls held back.
    func send(_ body: (BuildObserver) -> Void) {
        guard let observer else { return }
        lock.lock()
        defer { lock.unlock() }
        runHeld(observer)
        body(observer)
    }

    /// Holds `body` back until the next `send` or `flush`.
    func sendLater(_ body: @escaping (BuildObserver) -> Void) {
        guard observer != nil else { return }
        lock.withLock { held.append(body) }
    }

    /// Runs the calls held back.
    func flush() {
        guard let observer else { return }
        lock.withLock { runHeld(observer) }
    }

    /// Under `lock`.
    private func runHeld(_ observer: BuildObserver) {
        guard !held.isEmpty else { return }
        let calls = held
        held.removeAll(keepingCapacity: true)
        for call in calls { call(observer) }
    }
}
