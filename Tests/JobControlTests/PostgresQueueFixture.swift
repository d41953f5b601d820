import Foundation
import PostgresTestSupport

@testable import JobControl

/// What the PostgreSQL queue suites share (they conform to it): a fresh
/// database on the suite's server, a queue request whose snapshot and hash
/// name the job, and a claim as a worker of this process would make it.
protocol PostgresQueueFixture {}

extension PostgresQueueFixture {
    /// A store on a new database, and that database's URL.
    func newStore() throws -> (PostgresStore, String) {
        let url = try PostgresTestServer.shared.get().createDatabase()
        return (try PostgresStore.open(url: url, mode: .write), url)
    }

    func request(_ job: JobID, deps: [JobID] = [], tags: [String] = [], retries: Int = 0)
        -> QueueRequest
    {
        QueueRequest(
            job: job, reason: "never built", configSnapshot: #"{"job":"\#(job)"}"#,
            configHash: "h-\(job)", tags: tags, retries: retries, dependencies: deps)
    }

    func claim(_ store: PostgresStore, tags: [String] = [], lease: TimeInterval = 15) throws
        -> BuildRecord?
    {
        try store.claimNext(tags: tags, runner: .current(), owner: "test", lease: lease)
    }
}
