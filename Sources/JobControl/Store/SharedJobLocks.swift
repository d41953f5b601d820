/// Job locks that every machine sharing a store sees (a PostgreSQL store:
/// `PostgresJobLocks`), taken by a local run besides or instead of the lock
/// files, which only processes on one machine see.
///
/// A lock is held by the process that took it and released by `unlock`, or
/// when that process (or its connection to the store) ends, so a jcrun that
/// dies never leaves a job locked.
public protocol SharedJobLocks: AnyObject, Sendable {
    /// Takes `job`'s lock if no one holds it; never blocks.
    ///
    /// - Throws: `StoreError` when the store cannot be reached.
    func tryLock(_ job: JobID) throws -> Bool

    /// Releases `job`'s lock, taken by `tryLock`.
    func unlock(_ job: JobID)
}
