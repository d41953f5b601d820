import Foundation

/// A throwaway project folder under /tmp with a `jobs.d/`, for one test.
struct TestProject {
    let dir: URL

    /// Writes each `name: text` pair into `jobs.d/`.
    init(_ files: [String: String], settings: String? = nil) throws {
        dir = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("jcrun-e2e-\(UUID().uuidString.prefix(8))", isDirectory: true)
        let jobs = dir.appendingPathComponent("jobs.d", isDirectory: true)
        try FileManager.default.createDirectory(at: jobs, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: jobs.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        if let settings {
            try settings.write(
                to: dir.appendingPathComponent("jcrun.yaml"), atomically: true, encoding: .utf8)
        }
    }

    /// A copy of a fixture folder.
    init(copying fixture: URL) throws {
        dir = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("jcrun-e2e-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.copyItem(at: fixture, to: dir)
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Jcrun.Result {
        var env = ["NO_COLOR": "1"]
        env.merge(environment) { _, new in new }
        return try Jcrun.run(arguments, in: dir, environment: env)
    }

    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: dir.appendingPathComponent(path).path)
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }

    /// The JSON objects of a JSON-lines text.
    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { line in
            guard
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
                    as? [String: Any]
            else {
                throw CocoaError(.coderReadCorrupt)
            }
            return object
        }
    }

    /// Durations (`2.1s`, `3m04s`) and ages (`5s ago`) replaced by `T`, so
    /// output can be compared exactly.
    static func maskTimes(_ text: String) -> String {
        let patterns = [#"\d+(\.\d+)?s ago"#, #"\b\d+m\d\ds\b"#, #"\b\d+\.\ds\b"#]
        var result = text
        for pattern in patterns {
            result = result.replacingOccurrences(
                of: pattern, with: "T", options: .regularExpression)
        }
        return result
    }
}

/// The jobs most tests use: crawl reports progress and a value, process
/// fails reading it, report depends on process.
enum Fixtures {
    static let pipeline = """
        jobs:
          - id: crawl
            title: "Crawl the site"
            command: |
              for i in 1 2 3; do echo "@progress $i/3 pages -- page$i"; echo "fetched $i"; done
              echo "@retval out/crawl.csv"
          - id: process
            command: "echo reading $INPUT; echo 'error: bad row 3' >&2; exit 1"
            dependencies: [crawl]
            env:
              INPUT: !retval crawl
          - id: report
            command: "echo report"
            dependencies: [process]

        """

    /// `deploy`, protected: building it by name asks, or needs `--yes`.
    static let protectedJob = """
        jobs:
          - id: deploy
            command: "true"
            protect: true

        """

    static let oneJob = """
        jobs:
          - id: hello
            command: "echo hello; echo '@retval 42'"

        """
}
