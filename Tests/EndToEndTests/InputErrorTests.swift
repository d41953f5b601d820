import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Bad input in job files and `jcrun.yaml` that a fresh tester found run
/// anyway or explained badly (issue #2): through the binary, each exits 2
/// with its one exact message, runs nothing and creates no store.
struct InputErrorTests {
    static let nul =
        "holds a NUL byte (\\0); expected text without one, since a program's arguments and environment end at the first NUL"
    static let tagHint =
        "!retval JOB, !secret NAME and !env NAME each stand on one value in 'command', 'args' or 'env' (X: !env HOME)"

    /// Files (relative to the project) and the exact stderr of `jcrun x`.
    /// Every job would leave a file `ran` behind, were it run.
    static let cases: [([String: String], String)] = [
        // A NUL in a tag's name is a NUL, not an unknown variable.
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran, !env \"HO\\0ME\"]\n"],
            "jcrun: error: jobs.d/main.yaml:3:27: 'command' tag '!env' \(nul)\n"
        ),
        // A job whose definition failed is not "not defined" for its
        // dependents too (a second tester's cascade).
        (
            [
                "jobs.d/main.yaml":
                    "jobs:\n  - id: fetch\n    command: [echo, !secret tok]\n  - id: x\n    dependencies: [fetch]\n    command: [touch, ran]\n"
            ],
            "jcrun: error: jobs.d/main.yaml:3:21: unknown secret 'tok'; secrets are defined under 'secrets:' in jcrun.yaml\n"
        ),
        (
            [
                "jobs.d/main.yaml": """
                jobs:
                  - id: x
                    command: ["sh", "-c", 'touch ran; printf "[%s] X=[%s]\\n" "$1" "$X"', "sh", "a\\0b"]
                    env: {X: "c\\0d"}

                """
            ],
            "jcrun: error: jobs.d/main.yaml:3:80: 'command' \(nul)\njcrun: error: jobs.d/main.yaml:4:14: 'env' \(nul)\n"
        ),
        (
            [
                "jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [sh, -c, 'touch ran', !secret tok]\n",
                "jcrun.yaml": "secrets:\n  tok: {file: tok.txt}\n", "tok.txt": "abc\0def",
            ],
            "jcrun: error: jcrun.yaml:2:8: secret 'tok' \(nul)\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n    env: !env {X: HOME}\n"],
            "jcrun: error: jobs.d/main.yaml:4:10: tag '!env' cannot stand on a mapping; \(tagHint)\n"
        ),
        // In jcrun.yaml the hint names where tags stand there.
        (
            [
                "jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n",
                "jcrun.yaml": "defaults:\n  env: !env {X: HOME}\n",
            ],
            "jcrun: error: jcrun.yaml:2:8: tag '!env' cannot stand on a mapping; !retval JOB, !secret"
                + " NAME and !env NAME each stand on one value of 'env' under 'defaults' in jcrun.yaml"
                + " (X: !env HOME)\n"
        ),
        // `sqlite://` names the root folder: said at the setting.
        (
            [
                "jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n",
                "jcrun.yaml": "storage: \"sqlite://\"\n",
            ],
            "jcrun: error: jcrun.yaml:1:10: invalid 'storage' 'sqlite://': '/' is a folder, not a"
                + " database file; use a path, sqlite:PATH or postgresql://...\n"
        ),
        // Files including each other: one line naming the cycle.
        (
            [
                "jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n{% include '_a.j2' %}\n",
                "jobs.d/_a.j2": "{% include '_b.j2' %}", "jobs.d/_b.j2": "{% include '_a.j2' %}",
            ],
            "jcrun: error: jobs.d/_b.j2:1:1: include cycle: _a.j2 -> _b.j2 -> _a.j2"
                + " (more than 100 nested includes)\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: x\n    command: !secret [touch, ran]\n"],
            "jcrun: error: jobs.d/main.yaml:3:14: tag '!secret' cannot stand on a list; \(tagHint)\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n    env: {!retval good: x}\n"],
            "jcrun: error: jobs.d/main.yaml:4:11: tag '!retval' cannot stand on a mapping key; \(tagHint)\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n    env: {X: !retval }\n"],
            "jcrun: error: jobs.d/main.yaml:4:14: '!retval' needs a job id after it, as in '!retval inventory'\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n    timeout: [1]\n"],
            "jcrun: error: jobs.d/main.yaml:4:14: 'timeout' must be a duration such as 10m (a whole number and s, m, h or d), not a list\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n", "jcrun.yaml": "storage: ftp://x/y\n"],
            "jcrun: error: jcrun.yaml:1:10: invalid 'storage' 'ftp://x/y': unknown storage scheme 'ftp://'; use a path, sqlite:PATH or postgresql://...\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n", "jcrun.yaml": "storage: \"sqlite:\"\n"],
            "jcrun: error: jcrun.yaml:1:10: invalid 'storage' 'sqlite:': the storage setting names no file; use a path, sqlite:PATH or postgresql://...\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n", "jcrun.yml": "defaults: {timeout: 0}\n"],
            "jcrun: error: jcrun.yml:1:21: invalid 'timeout' '0': must be above 0; leave 'timeout' out for no limit\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: \"a\\u0085b\"\n    command: [touch, ran]\n  - id: x\n    command: [touch, ran]\n"],
            "jcrun: error: jobs.d/main.yaml:2:9: invalid job id 'a\\x85b': an id must not contain white space or control characters\n"
        ),
        (
            ["jobs.d/main.yaml": "jobs:\n  - id: \"a\\u202eb\"\n    command: [touch, ran]\n  - id: x\n    command: [touch, ran]\n"],
            "jcrun: error: jobs.d/main.yaml:2:9: invalid job id 'a\\u202eb': an id must not contain invisible formatting characters (U+202E)\n"
        ),
        (
            [
                "jobs.d/main.yaml": """
                {% set ns = namespace(n=0) %}
                {% for i in range(5000000) %}{% set ns.n = ns.n + 1 %}{% endfor %}
                jobs:
                  - id: x
                    command: [touch, ran]

                """
            ],
            "jcrun: error: jobs.d/main.yaml:2:13: too much template work: more than 1000000 steps in one file (loop iterations, macro calls, and every 8 list items or 64 bytes of text a filter or operator makes; is a loop or a recursion running away?)\n"
        ),
    ]

    @Test(arguments: cases)
    func badInputRunsNothingAndExitsTwo(files: [String: String], stderr: String) throws {
        let project = try TestProject([:])
        defer { project.remove() }
        for (name, text) in files {
            try Data(text.utf8).write(to: project.dir.appendingPathComponent(name))
        }
        let result = try project.run(["x"])
        #expect(result.status == 2)
        #expect(result.stderr == stderr)
        #expect(!project.exists("ran"))
        #expect(!project.exists(".jcrun"))
    }

    @Test func aSettingsFileThatIsAFIFOIsNamedWithoutBlocking() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n"])
        defer { project.remove() }
        #expect(mkfifo(project.dir.appendingPathComponent("jcrun.yaml").path, 0o600) == 0)
        let result = try project.run(["x"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: jcrun.yaml: expected a settings file (YAML text), found a named pipe (FIFO)\n")
        #expect(!project.exists("ran"))
    }

    @Test func aLongCycleIsOneShortError() throws {
        let project = try TestProject([
            "main.yaml": """
            jobs:
            {% for i in range(3000) %}
              - id: j{{ i }}
                command: [touch, ran]
                dependencies: [j{{ (i + 1) % 3000 }}]
            {% endfor %}

            """
        ])
        defer { project.remove() }
        let result = try project.run(["j0"])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 8)
        #expect(result.stderr.hasPrefix(
            "jcrun: error: jobs.d/main.yaml:5:20: jobs depend on each other in a circle: j0 → j1 → j2 → j3 → j4 → ... 2994 more → j2999 → j0\n"))
        #expect(!project.exists("ran"))
    }

    @Test func theStorageOptionSaysWhatTheSettingSays() throws {
        let project = try TestProject(["main.yaml": "jobs:\n  - id: x\n    command: [touch, ran]\n"])
        defer { project.remove() }
        let result = try project.run(["--storage", "sqlite:", "x"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: --storage 'sqlite:': the storage setting names no file; use a path, sqlite:PATH or postgresql://...\n")
        // An empty value shows as '' (a tester's `--storage ''` printed `error: : the ...`).
        #expect(
            try project.run(["--storage", "", "list"]).stderr
                == "jcrun: error: --storage '': the storage setting names no file; use a path, sqlite:PATH or postgresql://...\n")
        let scheme = try project.run(["--storage", "postgresq://h/db", "x"])
        #expect(
            scheme.stderr
                == "jcrun: error: --storage 'postgresq://h/db': unknown storage scheme 'postgresq://'; use a path, sqlite:PATH or postgresql://...; did you mean 'postgresql://'?\n")
        #expect(!project.exists("ran"))
    }
}
