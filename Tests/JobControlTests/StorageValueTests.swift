import Foundation
import PostgresTestSupport
import Testing
@testable import JobControl

#if canImport(Glibc)
    import Glibc
#endif

/// Storage values written wrong: refused with one line, the password never
/// shown; PostgreSQL schemes in any case; connections that time out.
@Suite struct StorageValueTests {
    /// Each refused value, as `--storage`, and the exact message.
    @Test(arguments: [
        ("postgresql//u:pw@h/x",
         "--storage 'postgresql//u:***@h/x': a PostgreSQL URL starts with 'postgresql://'; did you mean 'postgresql://u:***@h/x'?"),
        ("Postgres/x.db",
         "--storage 'Postgres/x.db': a PostgreSQL URL starts with 'postgres://'; did you mean 'postgres://x.db'? (for a file of that name write './Postgres/x.db')"),
        (" postgresql://u:pw@127.0.0.1:1/x",
         "--storage ' postgresql://u:***@127.0.0.1:1/x': the storage value starts or ends with whitespace, which would be part of the name; did you mean 'postgresql://u:***@127.0.0.1:1/x'?"),
        ("postgresql://u:sec@ret5@127.0.0.1:1/x",
         "--storage 'postgresql://u:***@127.0.0.1:1/x': the user part holds an '@' or a '/'; write '@' in a user name or password as %40 and '/' as %2F"),
        ("postgresql://u:p/w@h/x",
         "--storage 'postgresql://u:***@h/x': the user part holds an '@' or a '/'; write '@' in a user name or password as %40 and '/' as %2F"),
        ("password=se cret host=db",
         "--storage 'password=*** host=db': a libpq key=value string is not a storage value; write it as a URL: did you mean 'postgresql://:***@db/'?"),
        ("a.db\n",
         "--storage 'a.db\\x0a': the storage value starts or ends with whitespace, which would be part of the name; did you mean 'a.db'?"),
        (" ", "--storage ' ': the storage value is only whitespace; use a path, sqlite:PATH or postgresql://..."),
        ("a\u{1b}b.db",
         "--storage 'a\\x1bb.db': the storage value holds a control character; use a path, sqlite:PATH or postgresql://..."),
        ("./u:pw@h/x.db",
         "--storage './u:***@h/x.db': './u:***@h/x.db' holds a 'user:password@host' part, as a PostgreSQL URL does; write postgresql://USER:PASSWORD@HOST/DATABASE, or rename the file"),
        ("sqlite://otherhost/tmp/x.db",
         "--storage 'sqlite://otherhost/tmp/x.db': 'sqlite://' is followed by a host ('otherhost'); write sqlite:///PATH for an absolute path or sqlite:PATH for a relative one: did you mean 'sqlite:///otherhost/tmp/x.db' or 'sqlite:otherhost/tmp/x.db'?"),
    ] as [(String, String)])
    func refusedWithThePasswordMasked(value: String, message: String) {
        let error = #expect(throws: StoreError.self) {
            try StoreLocation.parse(value, relativeTo: "/cwd", from: "--storage")
        }
        #expect(error?.description == message)
        #expect(error?.description.contains("pw") == false)
        #expect(error?.description.contains("sec") == false)
        #expect(error?.description.contains("cret") == false)
    }

    /// Accepted values and what they become.
    @Test(arguments: [
        ("POSTGRESQL://u:pw@h/x", StoreLocation.postgresql(url: "postgresql://u:pw@h/x")),
        ("Postgres://h/x?sslmode=disable", .postgresql(url: "postgres://h/x?sslmode=disable")),
        ("postgresql://u:p%40ss@h/x", .postgresql(url: "postgresql://u:p%40ss@h/x")),
        ("sqlite://localhost/tmp/x.db", .sqlite(path: "/tmp/x.db")),
        ("SQLITE://localhost/tmp/x.db", .sqlite(path: "/tmp/x.db")),
        ("postgres.db", .sqlite(path: "/cwd/postgres.db")),
        ("postgresql-old.db", .sqlite(path: "/cwd/postgresql-old.db")),
        ("my db.db", .sqlite(path: "/cwd/my db.db")),
    ] as [(String, StoreLocation)])
    func accepted(value: String, expected: StoreLocation) throws {
        #expect(try StoreLocation.parse(value, relativeTo: "/cwd") == expected)
    }

    /// A server that accepts and never answers: the connection gives up
    /// after `connect_timeout`, naming host and port, the password masked.
    @Test func aServerThatNeverAnswersTimesOut() throws {
        let (listener, port) = try #require(PostgresTestServer.loopbackSocket(listening: true))
        defer { close(listener) }
        let url = "postgresql://u:s3cret@127.0.0.1:\(port)/x?connect_timeout=2"
        let error = #expect(throws: StoreError.self) {
            try StoreLocation.parse(url, relativeTo: "/").open(mode: .readOnly)
        }
        #expect(
            error?.description
                == "postgresql://u:***@127.0.0.1:\(port)/x?connect_timeout=2: the server at 127.0.0.1,"
                + " port \(port) did not answer within 2 s (connect_timeout; set"
                + " ?connect_timeout=SECONDS in the URL to wait longer)")
    }

    /// The default timeout is added only when the URL sets none.
    @Test(arguments: [
        ("postgresql://h/x", "postgresql://h/x?connect_timeout=10"),
        ("postgresql://h/x?sslmode=disable", "postgresql://h/x?sslmode=disable&connect_timeout=10"),
        ("postgresql://h/x?connect_timeout=3", "postgresql://h/x?connect_timeout=3"),
    ] as [(String, String)])
    func defaultConnectTimeout(url: String, expected: String) {
        #expect(PostgresConnection.withConnectTimeout(url) == expected)
    }

    @Test(arguments: [
        ("postgresql://u:pw@db", "the server at db, port 5432 did not answer within 10 s"),
        ("postgresql://[::1]:6000/x?connect_timeout=4", "the server at [::1], port 6000 did not answer within 4 s"),
        ("postgresql:///x", "the server at localhost, port 5432 did not answer within 10 s"),
    ] as [(String, String)])
    func timeoutNamesHostAndPort(url: String, start: String) {
        #expect(PostgresConnection.timeoutReason(url).hasPrefix(start))
    }
}
