import Foundation

/// The store, used by one thread at a time (BuildStore's contract).
final class StoreGate: @unchecked Sendable {
    private let lock = NSLock()
    private let store: BuildStore

    init(_ store: BuildStore) { self.store = store }

    func sync<T>(_ body: (BuildStore) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(store)
    }
}

/// The observer, called by one thread at a time (BuildObserver's contract).
final class ObserverGate: @unchecked Sendable {
    private let lock = NSLock()
    private let observer: BuildObserver?

    init(_ observer: BuildObserver?) { self.observer = observer }

    func send(_ body: (BuildObserver) -> Void) {
        guard let observer else { return }
        lock.lock()
        defer { lock.unlock() }
        body(observer)
    }
}
