import Foundation
import Testing

/// Query commands: results on stdout, no store created by reading.
struct QueryCommandTests {
    @Test func listWithoutAStoreShowsEveryJobNotBuiltAndCreatesNothing() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        let result = try project.run(["list"])
        #expect(result.status == 0)
        #expect(
            result.stdout == """
                crawl    not built  Crawl the site
                process  not built  (needs crawl)
                report   not built  (needs process)

                """)
        #expect(!project.exists(".jcrun"))
        let json = try TestProject.jsonLines(try project.run(["list", "--json"]).stdout)
        #expect(json.map { $0["status"] as? String } == ["not built", "not built", "not built"])
        #expect(json[1]["dependencies"] as? [String] == ["crawl"])
        #expect(try project.run(["list", "--ids"]).stdout == "crawl\nprocess\nreport\n")
    }

    @Test func statusLabelsFollowTheStore() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        _ = try project.run(["report", "-q"])
        let result = try project.run(["status"])
        #expect(result.status == 0)
        #expect(
            TestProject.maskTimes(result.stdout) == """
                crawl    successful  #1  T  T
                process  failed      #2  T  T
                report   not built

                """)
    }

    @Test func anUnknownJobSuggestsANearOne() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        let result = try project.run(["crawll"])
        #expect(result.status == 2)
        #expect(result.stderr == "jcrun: error: unknown job 'crawll'; did you mean 'crawl'?\n")
        let command = try project.run(["lsit"])
        #expect(command.stderr == "jcrun: error: unknown job 'lsit'; did you mean 'list'?\n")
    }

    @Test func aCommandNameWinsAndBuildReachesAJobOfThatName() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: list
                command: "echo building list"

            """
        ])
        defer { project.remove() }
        #expect(try project.run(["list"]).stdout == "list  not built\n")
        let built = try project.run(["build", "list", "-q"])
        #expect(built.status == 0)
        #expect(try project.run(["builds", "--json"]).stdout.contains("\"job\":\"list\""))
    }

    @Test func logPrintsOneLinePerEntry() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        _ = try project.run(["report", "-q"])
        let result = try project.run(["log", "process"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map {
            $0.split(separator: " ", maxSplits: 1)[1]
        }
        #expect(
            lines == ["stdout info     reading out/crawl.csv", "stderr info     error: bad row 3"])
        let errors = try project.run(["log", "#2", "--stream", "stderr"])
        #expect(errors.stdout.hasSuffix("stderr info     error: bad row 3\n"))
    }

    @Test func graphDrawsDependencies() throws {
        let project = try TestProject(["main.yaml": Fixtures.pipeline])
        defer { project.remove() }
        let result = try project.run(["graph", "--format", "dot"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("digraph"))
    }

    @Test func deleteRunsCleanupWithTheBuildsValue() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: hello
                command: "echo '@retval out/x'"
                cleanup: "echo cleaning $JCRUN_RETVAL of build $JCRUN_BUILD_ID >&2"

            """
        ])
        defer { project.remove() }
        _ = try project.run(["hello", "-q"])
        _ = try project.run(["hello", "-q"])
        let result = try project.run(["delete", "#1", "--yes"])
        #expect(result.status == 0)
        #expect(result.stderr == "cleaning out/x of build 1\njcrun: deleted build #1 of 'hello'\n")
        #expect(try project.run(["show-build", "1"]).status == 2)
    }

    @Test func readOnlyCommandsOnAFailingCleanupKeepTheBuild() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
              - id: hello
                command: "true"
                cleanup: "exit 3"

            """
        ])
        defer { project.remove() }
        _ = try project.run(["hello", "-q"])
        let result = try project.run(["delete", "1", "--yes"])
        #expect(result.status == 1)
        #expect(
            result.stderr
                == "jcrun: error: cleanup of build #1 failed (exit 3); the build is kept (--force deletes it anyway)\n"
        )
        #expect(try project.run(["delete", "1", "--yes", "--force"]).status == 0)
    }

    @Test func showBuildDrawsTheStoredProgressTree() throws {
        let project = try TestProject(["main.yaml": """
            jobs:
              - id: crawl
                command: |
                  echo "@progress 2/2 foo.zip :: downloading"
                  echo "@progress 1/2 foo.zip :: extracting -- file 1"
                  echo "@retval out/x"

            """])
        defer { project.remove() }
        _ = try project.run(["crawl", "-q"])
        let result = try project.run(["show-build", "#1"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(TestProject.maskTimes(lines[0]) == "#1 crawl  successful in T")
        #expect(lines[1] == "  reason      requested (cli, attempt 1)")
        #expect(Array(lines.suffix(7)) == [
            "  exit code   0",
            "  retval      out/x",
            "  progress",
            "    [3/4] Total",
            "    '-- [3/4] foo.zip",
            "        |-- [2/2] downloading",
            "        '-- [1/2] extracting -- file 1",
        ])
    }
}
