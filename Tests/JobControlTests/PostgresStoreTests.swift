import Foundation
import PostgresTestSupport
import Testing

@testable import JobControl

/// Opening, installing, migrating and uninstalling a PostgreSQL store, and
/// keeping its password out of every message.
@Suite(
    .enabled(
        if: PostgresTestServer.skipReason == nil, "no PostgreSQL server (see the printed reason)"))
struct PostgresStoreTests {
    private var server: PostgresTestServer { get throws { try PostgresTestServer.shared.get() } }

    @Test func installCreatesTheSchemaOnceAndReadOnlyOpensIt() throws {
        let url = try server.createDatabase()
        #expect(throws: StoreError.notInstalled(path: PostgresURL.redacted(url))) {
            try PostgresStore.open(url: url, mode: .readOnly)
        }
        #expect(try PostgresStore.install(url: url) == .created)
        #expect(try PostgresStore.install(url: url) == .upToDate)
        let store = try PostgresStore.open(url: url, mode: .readOnly)
        #expect(
            try store.connection.query("SELECT value FROM meta WHERE key = 'schema_version'")
                .string(0, 0)
                == String(PostgresStore.schemaVersion))
        #expect(try store.builds(BuildQuery()).isEmpty)
    }

    @Test func anOlderSchemaIsMigratedStepByStepAndReadOnlyAsksForInstall() throws {
        let url = try server.createDatabase()
        let raw = try PostgresConnection(url: url)
        try raw.transaction {
            try raw.execute(PostgresSQL.migrations[0])
            try raw.query(PostgresSQL.setVersion, [.int(1)])
        }
        let display = PostgresURL.redacted(url)
        #expect(
            throws: StoreError.needsMigration(
                path: display, found: 1, supported: PostgresStore.schemaVersion)
        ) {
            try PostgresStore.open(url: url, mode: .readOnly)
        }
        #expect(
            try PostgresStore.install(url: url)
                == .migrated(from: 1, to: PostgresStore.schemaVersion))
        #expect(try raw.query(PostgresSQL.tableExists, [.text("queue")]).bool(0, 0))
    }

    @Test func aSchema2StoreWithQueuedBuildsMigratesAndItsBuildsStillShow() throws {
        let url = try server.createDatabase()
        let raw = try PostgresConnection(url: url)
        try raw.transaction {
            try raw.execute(PostgresSQL.migrations[0])
            try raw.execute(PostgresSQL.migrations[1])
            try raw.query(PostgresSQL.setVersion, [.int(2)])
            try raw.execute(
                """
                INSERT INTO builds (id, job, status, created_at, started_at, finished_at)
                VALUES (1, 'a', 'successful', 10, 20, 30), (2, 'b', 'created', 40, NULL, NULL);
                INSERT INTO queue (build) VALUES (1), (2);
                UPDATE queue SET waiting = false WHERE build = 1;
                """)
        }
        #expect(try PostgresStore.install(url: url) == .migrated(from: 2, to: PostgresStore.schemaVersion))
        let store = try PostgresStore.open(url: url, mode: .readOnly)
        #expect(try store.builds(BuildQuery()).map(\.job) == ["b", "a"])
        #expect(try store.build(1)?.finishedAt == Date(timeIntervalSince1970: 0.00003))
        #expect(try server.rows("SELECT build, claimed_at FROM queue ORDER BY build", url: url)
            == [["1", nil], ["2", nil]])
        // Schema 5: builds queued before it run in any case (no condition).
        #expect(try server.rows("SELECT count(*) FROM queue WHERE condition IS NULL", url: url) == [["2"]])
        let writer = try PostgresStore.open(url: url, mode: .write)
        #expect(try writer.claimNext(tags: [], runner: .current(), owner: "w", lease: 15)?.id == 2)
    }

    @Test(.bug(id: 10)) func aReapedLocalBuildEndsAtItsLastHeartbeat() throws {
        let store = try PostgresStore.open(url: try server.createDatabase(), mode: .write)
        let me = RunnerIdentity.current()
        store.clock = { Date(timeIntervalSince1970: 1_800_000_000) }
        let build = try store.createBuild(
            NewBuild(
                job: "j", status: .created, trigger: "", reason: "", configSnapshot: "{}",
                configHash: ""))
        try store.markStarted(
            build.id, runner: RunnerIdentity(host: me.host, pid: try deadPid(), processStart: 5))
        store.clock = { Date(timeIntervalSince1970: 1_800_000_060.5) }
        try store.markAlive([build.id])
        store.clock = { Date(timeIntervalSince1970: 1_800_003_600) }
        #expect(try store.reapDeadRunners() == [build.id])
        let record = try #require(try store.build(build.id))
        #expect(record.finishedAt == Date(timeIntervalSince1970: 1_800_000_060.5))
        #expect(record.error == "runner died; last seen at 2027-01-15T08:01:00.500Z")
    }

    @Test func aNewerSchemaAndForeignTablesAreRefused() throws {
        let newer = try server.createDatabase()
        _ = try PostgresStore.install(url: newer)
        let raw = try PostgresConnection(url: newer)
        try raw.query(PostgresSQL.setVersion, [.int(99)])
        #expect(
            throws: StoreError.newerSchema(
                path: PostgresURL.redacted(newer), found: 99, supported: PostgresStore.schemaVersion
            )
        ) {
            try PostgresStore.open(url: newer, mode: .write)
        }

        let foreign = try server.createDatabase()
        let other = try PostgresConnection(url: foreign)
        try other.execute("CREATE TABLE builds (id int)")
        for mode in [StoreMode.write, .readOnly] {
            #expect(throws: StoreError.foreignDatabase(path: PostgresURL.redacted(foreign))) {
                try PostgresStore.open(url: foreign, mode: mode)
            }
        }
        #expect(throws: StoreError.foreignDatabase(path: PostgresURL.redacted(foreign))) {
            try PostgresStore.uninstall(url: foreign)
        }
    }

    @Test func eightInstallsAtOnceCreateTheSchemaExactlyOnce() throws {
        let url = try server.createDatabase()
        let outcomes = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            outcomes.add(Result { try PostgresStore.install(url: url) })
        }
        let results = outcomes.all.map { try? $0.get() }
        #expect(results.filter { $0 == .created }.count == 1)
        #expect(results.filter { $0 == .upToDate }.count == 7)
    }

    @Test func uninstallDropsJcrunsTablesAndLeavesOthers() throws {
        let url = try server.createDatabase()
        let store = try PostgresStore.open(url: url, mode: .write)
        try store.finishedBuild("a", .successful)
        try store.connection.execute("CREATE TABLE mine (x int)")
        store.close()
        try PostgresStore.uninstall(url: url)
        try PostgresStore.uninstall(url: url)
        let raw = try PostgresConnection(url: url)
        #expect(try !raw.query(PostgresSQL.tableExists, [.text("builds")]).bool(0, 0))
        #expect(try raw.query(PostgresSQL.tableExists, [.text("mine")]).bool(0, 0))
        #expect(try PostgresStore.install(url: url) == .created)
    }

    @Test func theStorageSettingSelectsPostgreSQLAndShowsNoPassword() throws {
        let url = try server.createDatabase()
        let location = try StoreLocation.parse(url, relativeTo: "/")
        #expect(location == .postgresql(url: url))
        #expect(!location.description.contains(PostgresTestServer.password))
        #expect(location.description.contains(":***@127.0.0.1"))
        #expect(try location.install() == .created)
        let store = try location.open(mode: .write)
        #expect(store is PostgresStore)
        try location.uninstall()
    }

    static let redactions: [(String, String)] = [
        ("postgresql://u:pw@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        (
            "postgres://u:p%40ss@h:5432/db?sslmode=require",
            "postgres://u:***@h:5432/db?sslmode=require"
        ),
        (
            "postgresql://h/db?user=u&password=pw&sslmode=disable",
            "postgresql://h/db?user=u&password=***&sslmode=disable"
        ),
        ("postgresql://u:a@b@h/db", "postgresql://u:***@h/db"),
    ]

    @Test func passwordsAreMaskedInURLsAndInText() {
        for (url, shown) in Self.redactions {
            #expect(PostgresURL.redacted(url) == shown, "\(url)")
        }
        #expect(
            PostgresURL.mask("auth failed for p@ss and p%40ss", in: "postgresql://u:p%40ss@h/db")
                == "auth failed for *** and ***")
    }

    @Test func aWrongPasswordOrPortNeverShowsThePassword() throws {
        let wrong = "Wr0ng-Pa55-" + String(getpid())
        let server = try self.server
        let urls = [
            server.url(database: "postgres", password: wrong),
            "postgresql://jcrun@127.0.0.1:\(server.port)/postgres?password=\(wrong)",
            "postgresql://jcrun:\(wrong)@127.0.0.1:1/postgres?connect_timeout=2",
        ]
        let refused = "connection to server at \"127.0.0.1\", port \(server.port) failed: password authentication failed for user \"jcrun\""
        let closed = "connection to server at \"127.0.0.1\", port 1 failed: Connection refused; Is the server running on that host and accepting TCP/IP connections?"
        for (url, expected) in zip(urls, [refused, refused, closed]) {
            do {
                _ = try PostgresStore.open(url: url, mode: .write)
                Issue.record("opened with a wrong password: \(PostgresURL.redacted(url))")
            } catch let error as StoreError {
                guard case .unreachable(let path, let reason) = error else {
                    Issue.record("unexpected \(error)")
                    continue
                }
                let text = error.description
                #expect(!text.contains(wrong), "\(text)")
                #expect(path == PostgresURL.redacted(url))
                #expect(reason == expected)
            }
        }
    }
}

/// Collects results from concurrent threads.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<InstallOutcome, Error>] = []

    func add(_ result: Result<InstallOutcome, Error>) { lock.withLock { results.append(result) } }

    var all: [Result<InstallOutcome, Error>] { lock.withLock { results } }
}
