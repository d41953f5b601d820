import Foundation
import Testing

/// `render FILE`, the default and validation of `-j`, and the hidden `--trigger`.
struct RenderAndOptionTests {
    static let template = """
        {% import "_macros.j2" as m %}
        jobs:
        {%- for site in sites %}
          - id: crawl_{{ site }}
            command: {{ m.quoted("crawl " ~ site) }}
        {%- endfor %}

        """
    static let macros = """
        {% macro quoted(text) %}"{{ text }}"{% endmacro %}
        """

    @Test func renderPrintsAJobFileAfterItsTemplateStep() throws {
        let project = try TestProject(
            ["sites.yaml": Self.template, "_macros.j2": Self.macros],
            settings: "vars:\n  sites: [a, b]\n")
        defer { project.remove() }
        let expected = """

            jobs:
              - id: crawl_a
                command: "crawl a"
              - id: crawl_b
                command: "crawl b"

            """
        for file in ["jobs.d/sites.yaml", "sites.yaml", "./jobs.d/sites.yaml"] {
            let result = try project.run(["render", file])
            #expect(result.stderr == "")
            #expect(result.status == 0)
            #expect(result.stdout == expected)
        }
        let env = try TestProject(["e.yaml": "user: {{ env.WHO }}"])
        defer { env.remove() }
        #expect(try env.run(["render", "e.yaml"], environment: ["WHO": "ann"]).stdout == "user: ann\n")
    }

    /// A job written by a `{% call %}` block into a macro that passes its
    /// `kwargs` on as the job's environment (issue #2).
    @Test func aCallBlockAndKwargsWriteARunnableJob() throws {
        let macros = """
            {% macro job(id) -%}
            - id: {{ id }}
              command: |
                {{ caller()|trim|indent(4) }}
            {%- if kwargs %}
              env:
            {%- for key, value in kwargs|dictsort %}
                {{ key }}: {{ value|tojson }}
            {%- endfor %}
            {%- endif %}
            {% endmacro %}
            """
        let jobs = """
            {% import "_macros.j2" as m %}
            jobs:
            {% call m.job("greet", WHO="ann", TIMES=2) -%}
            echo "@retval hello $WHO x$TIMES"
            {%- endcall %}
            """
        let project = try TestProject(["jobs.yaml": jobs, "_macros.j2": macros])
        defer { project.remove() }
        let run = try project.run(["greet", "--quiet"])
        #expect(run.stderr == "")
        #expect(run.status == 0)
        let retval = try project.run(["show-build", "greet", "--retval"])
        #expect(retval.stdout == "hello ann x2\n")
    }

    @Test func renderReportsAnUndefinedVariableAtItsPlace() throws {
        let project = try TestProject(
            ["sites.yaml": "jobs:\n  - id: {{ nmae }}\n"], settings: "vars:\n  name: x\n")
        defer { project.remove() }
        let result = try project.run(["render", "jobs.d/sites.yaml"])
        #expect(result.status == 2)
        #expect(result.stdout == "")
        #expect(
            result.stderr
                == "jcrun: error: jobs.d/sites.yaml:2:12: undefined variable 'nmae'; did you mean 'name'?\n"
        )
    }

    @Test func renderRefusesAFileOutsideJobsD() throws {
        let project = try TestProject(["sites.yaml": "jobs: []\n"])
        defer { project.remove() }
        let result = try project.run(["render", "site.yaml"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: 'site.yaml' is not a file in jobs.d/; did you mean 'sites.yaml'?\n")
    }

    @Test(arguments: ["0", "abc", "-1"])
    func aBadJobCountIsAOneLineUsageError(_ count: String) throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        for command in ["build-outdated", "build"] {
            let args = command == "build" ? [command, "hello", "-n", "-j", count] : [command, "-j", count]
            let result = try project.run(args)
            #expect(result.status == 2)
            #expect(
                result.stderr
                    == "jcrun: error: option '--jobs' expects a positive whole number, got '\(count)'\n")
            #expect(!project.exists(".jcrun"))
        }
    }

    @Test func theJobCountDefaultsToTheNumberOfCPUs() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        let help = try project.run(["build", "--help"]).stdout
        #expect(help.contains("run up to N builds at once (default: the number of CPUs)\n"))
        #expect(!help.contains("--trigger"))
    }

    @Test func theTriggerOptionIsStoredWithTheBuild() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        #expect(try project.run(["build", "hello", "-q", "--trigger", "web"]).status == 0)
        #expect(try project.run(["build", "hello", "-q"]).status == 0)
        let builds = try TestProject.jsonLines(try project.run(["builds", "--json"]).stdout)
        #expect(builds.map { $0["trigger"] as? String } == ["cli", "web"])
        let bad = try project.run(["build", "hello", "--trigger", "cron"])
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("jcrun: error: option '--trigger' expects"))
    }

    @Test func aMissingBuildPointsToTheBuildList() throws {
        let project = try TestProject(["main.yaml": Fixtures.oneJob])
        defer { project.remove() }
        let cases: [([String], String)] = [
            (["show-build", "42"], "no build #42"),
            (["log", "hello"], "no build of 'hello' yet"),
        ]
        for (arguments, what) in cases {
            let result = try project.run(arguments)
            #expect(result.status == 2)
            #expect(
                result.stderr
                    == "jcrun: error: \(what); 'jcrun builds' lists the stored builds\n")
        }
    }
}
