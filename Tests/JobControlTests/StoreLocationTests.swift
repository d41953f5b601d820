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
}
