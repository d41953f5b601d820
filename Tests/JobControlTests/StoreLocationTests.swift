import Foundation
import Testing
@testable import JobControl

@Suite struct StoreLocationTests {
    @Test(arguments: [
        ("option wins", "o.db", ["JCRUN_STORAGE": "e.db"], "s.db", "/cwd/o.db"),
        ("variable before settings", nil, ["JCRUN_STORAGE": "sqlite:e.db"], "s.db", "/cwd/e.db"),
        ("settings relative to the project", nil, [:], "sqlite:state/s.db", "/proj/state/s.db"),
        ("default", nil, [:], nil, "/proj/.jcrun/state.db"),
        ("absolute path", "/var/x.db", [:], nil, "/var/x.db"),
        ("empty variable is unset", nil, ["JCRUN_STORAGE": ""], nil, "/proj/.jcrun/state.db"),
        ("dots are resolved", "../x/./y.db", [:], nil, "/x/y.db"),
    ] as [(String, String?, [String: String], String?, String)])
    func storageIsResolvedByPrecedence(name: String, option: String?, env: [String: String], settings: String?, expected: String) throws {
        let location = try StoreLocation.resolve(
            option: option, environment: env, settings: settings, projectDir: "/proj", currentDirectory: "/cwd")
        #expect(location == .sqlite(path: expected), "\(name)")
    }

    @Test func postgresqlIsRecognisedAndItsPasswordNeverShown() throws {
        let location = try StoreLocation.parse("postgresql://jc:s3cret@127.0.0.1:1/jobs?sslmode=disable", relativeTo: "/")
        #expect(location.description == "postgresql://jc:***@127.0.0.1:1/jobs?sslmode=disable")
        let error = #expect(throws: StoreError.self) { try location.open(mode: .write) }
        #expect(error?.description == "postgresql://jc:***@127.0.0.1:1/jobs?sslmode=disable: connection to server at \"127.0.0.1\", port 1 failed: Connection refused; Is the server running on that host and accepting TCP/IP connections?")
        #expect(StoreLocation.redacted("postgresql://db/jobs") == "postgresql://db/jobs")
        #expect(StoreLocation.redacted("postgresql://jc@db/jobs") == "postgresql://jc@db/jobs")
    }

    /// Passwords in values refused as storage are masked, whatever their form.
    @Test(arguments: [
        ("host=h password=s3cret dbname=j", "host=h password=*** dbname=j"),
        ("password = 'a b\\' c' host=h", "password = *** host=h"),
        ("postgresql:/u:s3cret@h/db", "postgresql:/u:***@h/db"),
        ("postgres:u:s3cret@h/db?password=x", "postgres:u:***@h/db?password=***"),
        ("postgresql://u:s3cret@h/db", "postgresql://u:***@h/db"),
        ("/plain/path.db", "/plain/path.db"),
    ] as [(String, String)])
    func passwordsInAnyFormAreMasked(value: String, shown: String) {
        #expect(StoreLocation.redacted(value) == shown)
    }

    /// Paths and `sqlite:` forms that stay accepted.
    @Test(arguments: [
        ("SQLite:x.db", "/cwd/x.db"), ("sqlite:///abs/x.db", "/abs/x.db"), ("./mysql:x.db", "/cwd/mysql:x.db"),
        ("a=b/x.db", "/cwd/a=b/x.db"), ("/tmp/host=h", "/tmp/host=h"), ("x:y", "/cwd/x:y"), ("ab:y", nil),
    ] as [(String, String?)])
    func pathsStayPaths(value: String, expected: String?) {
        let location = try? StoreLocation.parse(value, relativeTo: "/cwd")
        #expect(location == expected.map { .sqlite(path: $0) })
    }

    /// Only the project's own `.jcrun/` may be missing.
    @Test func aMissingFolderIsRefusedButJcrunsOwn() throws {
        let base = NSTemporaryDirectory() + "fixs-loc-\(getpid())"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try StoreLocation.sqlite(path: base + "/.jcrun/state.db").checkFolderExists(except: base + "/.jcrun")
        try StoreLocation.sqlite(path: base + "/x.db").checkFolderExists(except: base + "/.jcrun")
        try StoreLocation.postgresql(url: "postgresql://h/d").checkFolderExists(except: base + "/.jcrun")
        let error = #expect(throws: StoreError.self) {
            try StoreLocation.sqlite(path: base + "/new/x.db").checkFolderExists(except: base + "/.jcrun")
        }
        #expect(
            error?.description
                == "\(base)/new/x.db: folder '\(base)/new' does not exist; create it first (jcrun creates no folder for a storage path it is given)"
        )
    }
}
