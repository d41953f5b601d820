import Foundation

/// What the store tells the person waiting while it waits itself: another
/// process holds SQLite's write lock (a long `prune`, a tool holding a
/// transaction open), so a command pauses for seconds with nothing else to
/// show. The command line prints it on stderr; the library never prints.
public enum StoreNotice {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var handler: (@Sendable (String) -> Void)?
    nonisolated(unsafe) private static var told: Set<String> = []

    /// Where notices go (once per process and text); nil drops them.
    public static func setHandler(_ handler: (@Sendable (String) -> Void)?) {
        lock.withLock { Self.handler = handler }
    }

    /// Tells `text` once.
    static func post(_ text: String) {
        let handler: (@Sendable (String) -> Void)? = lock.withLock {
            guard told.insert(text).inserted else { return nil }
            return Self.handler
        }
        handler?(text)
    }
}
