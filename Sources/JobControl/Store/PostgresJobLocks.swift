import Foundation

/// Cross-machine job locks on a PostgreSQL store: a session-level advisory
/// lock per job (`pg_try_advisory_lock`) on a connection of their own.
///
/// PostgreSQL releases a session's advisory locks when the session ends,
/// so a jcrun killed by SIGKILL, or a machine lost, frees its jobs as soon
/// as the server sees the connection close. The key is the server's 64-bit
/// hash of the job id (`hashtextextended`, seeded apart from other uses),
/// so every machine computes the same key; two jobs whose keys collide only
/// wait for each other. The connection opens at the first lock, so a run
/// that builds nothing costs nothing.
public final class PostgresJobLocks: SharedJobLocks, @unchecked Sendable {
    /// Seeds `hashtextextended`: job keys apart from other advisory locks' hashes.
    static let seed: Int64 = 0x6A63_726A
    static let tryLockSQL = "SELECT pg_try_advisory_lock(hashtextextended($1::text, \(seed)))"
    static let unlockSQL = "SELECT pg_advisory_unlock(hashtextextended($1::text, \(seed)))"

    private let url: String
    private let lock = NSLock()
    private var connection: PostgresConnection?

    public init(url: String) {
        self.url = url
    }

    public func tryLock(_ job: JobID) throws -> Bool {
        try lock.withLock {
            let connection = try opened()
            return try connection.query(Self.tryLockSQL, [.text(job)]).bool(0, 0)
        }
    }

    /// Sent without waiting for the answer (the server releases the lock
    /// as soon as it reads it): a build's end does not wait a round trip.
    public func unlock(_ job: JobID) {
        lock.withLock {
            // A connection that failed meanwhile holds nothing any more.
            try? connection?.send(Self.unlockSQL, [.text(job)])
        }
    }

    /// Ends the connection, releasing every lock it holds.
    public func close() {
        lock.withLock {
            connection?.close()
            connection = nil
        }
    }

    private func opened() throws -> PostgresConnection {
        if let connection { return connection }
        let made = try PostgresConnection(url: url)
        connection = made
        return made
    }
}
