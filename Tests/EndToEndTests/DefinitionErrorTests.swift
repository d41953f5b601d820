import Foundation
import Testing

/// Every case in Fixtures/definitions/: `jcrun list` there exits 2 with
/// exactly the case's `expected-stderr`, and creates no `.jcrun/`.
struct DefinitionErrorTests {
    static var cases: [String] {
        guard
            let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?
                .appendingPathComponent("definitions"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: root.path)
        else { return [] }
        return names.sorted()
    }

    @Test(arguments: cases)
    func aBrokenDefinitionIsReportedExactly(_ name: String) throws {
        let fixture = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("definitions").appendingPathComponent(name)
        let project = try TestProject(copying: fixture)
        defer { project.remove() }
        let expected = try String(
            contentsOf: fixture.appendingPathComponent("expected-stderr"), encoding: .utf8)
        let result = try project.run(["list"])
        #expect(result.status == 2)
        #expect(result.stderr == expected)
        #expect(result.stdout == "")
        #expect(!project.exists(".jcrun"))
    }

}
