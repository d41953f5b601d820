import Foundation

/// The observer, called by one thread at a time (BuildObserver's contract).
final class ObserverGate: @unchecked Sendable {
    private let lock = NSLock()
    private let observer: BuildObserver?

    /// The observer's `outputLineLimit`; 0 without an observer.
    let outputLineLimit: Int?

    init(_ observer: BuildObserver?) {
        self.observer = observer
        outputLineLimit = observer == nil ? 0 : observer?.outputLineLimit
    }

    func send(_ body: (BuildObserver) -> Void) {
        guard let observer else { return }
        lock.lock()
        defer { lock.unlock() }
        body(observer)
    }
}
