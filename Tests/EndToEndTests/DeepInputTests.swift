import Foundation
import Testing

/// Deep input a tester found crashing jcrun with a stack overflow (exit
/// 139): each now ends in a one-line error, or is handled without recursion.
@Suite struct DeepInputTests {
    /// `c0` fails; `c1` ... `c7999` each need the one before.
    static let chain = """
        jobs:
          - id: c0
            command: "exit 1"
        {% for i in range(1, 8000) %}
          - id: c{{ i }}
            command: "true"
            dependencies: [c{{ i - 1 }}]
        {% endfor %}

        """

    /// Marking thousands of dependents "not run" overflowed a worker
    /// thread's stack when it recursed.
    @Test func aFailureAtTheBottomOfAnEightThousandChainIsSummarized() throws {
        let project = try TestProject(["chain.yaml": Self.chain])
        defer { project.remove() }
        let result = try project.run(["c7999"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("0 built, 1 failed, 7999 not run in "))
        #expect(result.stderr.contains("\n  c1     not run: dependency 'c0' failed\n"))
        #expect(result.stderr.contains("\n  c7999  not run: dependency 'c7998' was not run\n"))
        let json = try project.run(["c7999", "--json"])
        #expect(json.status == 1)
        #expect(json.stdout.contains(#"{"job":"c7999","reason":"dependency 'c7998' was not run"}"#))
    }

    static func repeated(_ text: String, _ count: Int) -> String {
        String(repeating: text, count: count)
    }

    /// Small job files that crashed the template engine or the YAML reader.
    static let refused: [(String, [String], String)] = [
        (
            "{{ " + repeated("-", 3000) + "1 }}\n", ["render", "t.yaml"],
            "jcrun: error: jobs.d/t.yaml:1:104: expression nested too deeply (more than 100 levels)\n"
        ),
        (
            "{% set a = namespace(v=[]) %}{% for i in range(10000) %}{% set a.v = [a.v] %}"
                + "{% endfor %}{{ a.v|tojson|length }}\n",
            ["render", "t.yaml"],
            "jcrun: error: jobs.d/t.yaml:1:73: lists and dicts nested too deeply"
                + " (more than 100 levels)\n"
        ),
        (
            "jobs:\n  - id: a\n    command: x\n    notes: " + repeated("[", 100_000)
                + repeated("]", 100_000) + "\n",
            ["list"],
            "jcrun: error: jobs.d/t.yaml:4:521: invalid YAML: collections nested too deeply"
                + " (more than 512 levels)\n"
        ),
    ]

    @Test(arguments: refused)
    func deepJobFilesFailWithOneLine(file: String, arguments: [String], expected: String) throws {
        let project = try TestProject(["t.yaml": file])
        defer { project.remove() }
        let result = try project.run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr == expected)
    }

    /// A 3,000-level progress path (15 KB) made `show-build` take 158 MB and
    /// print 18 MB; past 32 levels it is a malformed directive.
    @Test func aProgressPathDeeperThan32LevelsIsMalformed() throws {
        let deep = Array(repeating: "a", count: 3000).joined(separator: " :: ")
        let file = """
            jobs:
              - id: p
                command: |
                  echo "@progress 1/2 a :: b"
                  echo "@progress 1/2 \(deep)"

            """
        let project = try TestProject(["p.yaml": file])
        defer { project.remove() }
        #expect(try project.run(["p", "-q"]).status == 0)
        let shown = try project.run(["show-build", "p"])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("    malformed @progress: group path has more than 32 levels\n"))
        #expect(shown.stdout.contains("    [1/2] Total\n    '-- [1/2] a\n        '-- [1/2] b\n"))
        #expect(shown.stdout.utf8.count < 20_000)
    }

    /// 500 groups made `show-build` print 500 lines of tree (a tester's
    /// 50,000 printed 50,009): the first 100 are shown, `--json` has all.
    @Test func showBuildPrintsTheFirstHundredLinesOfAWideTree() throws {
        let file = """
            jobs:
              - id: w
                command: for i in $(seq 1 500); do echo "@progress 1/1 g$i"; done

            """
        let project = try TestProject(["w.yaml": file])
        defer { project.remove() }
        #expect(try project.run(["w", "-q"]).status == 0)
        let shown = try project.run(["show-build", "w"])
        #expect(shown.status == 0)
        let tree = shown.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("    ") }
        #expect(tree.count == 101)
        #expect(tree.last == "    ... 401 more (all: jcrun show-build #1 --json)")
        let json = try project.run(["show-build", "w", "--json"])
        #expect(json.stdout.components(separatedBy: "\"group\"").count == 501)
    }
}
