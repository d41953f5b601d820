import Foundation
import Testing

@testable import JobControl

/// The bad-input fixtures of `Tests/EndToEndTests/Fixtures/definitions/`:
/// each folder's `expected-stderr` is exactly what `jcrun list` prints there.
struct ConfigFixtureTests {
    static let definitions = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EndToEndTests/Fixtures/definitions")

    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: definitions.path)) ?? []
        return names.sorted()
    }()

    /// The lines `jcrun list` would print in the fixture folder `name`.
    static func stderrLines(of name: String) -> [String] {
        let folder = definitions.appendingPathComponent(name)
        let environment = ["HOME": "/home/jcrun", "PATH": "/usr/bin:/bin"]
        do {
            let project = try findProject(from: folder, jobsDir: nil)
            _ = try ProjectLoader.load(
                projectDir: project.projectDir, jobsDir: project.jobsDir, environment: environment,
                displayBase: folder)
            return []
        } catch let errors as ConfigErrors {
            return errors.formatted()
        } catch let error as ConfigError {
            return error.lines
        } catch {
            return ["unexpected error: \(error)"]
        }
    }

    @Test func everyFixtureHasAnExpectedStderr() {
        #expect(Self.cases.count >= 22)
        for name in Self.cases {
            let expected = Self.definitions.appendingPathComponent(name).appendingPathComponent(
                "expected-stderr")
            #expect(FileManager.default.fileExists(atPath: expected.path), "\(name)")
        }
    }

    @Test(arguments: cases)
    func aBadDefinitionPrintsExactlyItsExpectedStderr(name: String) throws {
        let url = Self.definitions.appendingPathComponent(name).appendingPathComponent(
            "expected-stderr")
        let expected = try String(contentsOf: url, encoding: .utf8)
        let actual = Self.stderrLines(of: name).map { $0 + "\n" }.joined()
        #expect(actual == expected)
    }
}
