import Foundation
import Testing

@testable import JobControl

/// Bad input a fresh tester found in job files and `jcrun.yaml` (issue #2):
/// each is a definition error with its exact message, never a silent cut
/// or a dropped tag.
struct ConfigInputErrorTests {
    static let nul =
        "holds a NUL byte (\\0); expected text without one, since a program's arguments and environment end at the first NUL"
    static let restates = "a YAML tag may only restate what is written"
    static let tagHint =
        "!retval JOB, !secret NAME and !env NAME each stand on one value in 'command', 'args' or 'env' (X: !env HOME)"

    /// One job body (job `x` in `jobs.d/a.yaml`, body from line 4) and its first error.
    static let jobCases: [(String, String)] = [
        ("    args: [\"a\\0b\"]\n", "a.yaml:4:12: 'args' \(nul)"),
        ("    env: {X: \"c\\0d\"}\n", "a.yaml:4:14: 'env' \(nul)"),
        ("    workdir: \"w\\0\"\n", "a.yaml:4:14: 'workdir' \(nul)"),
        ("    cleanup: \"rm \\0\"\n", "a.yaml:4:14: 'cleanup' \(nul)"),
        ("    tags: [\"a\\0\"]\n", "a.yaml:4:12: 'tags' \(nul)"),
        ("    env: !env {X: HOME}\n", "a.yaml:4:10: tag '!env' cannot stand on a mapping; \(tagHint)"),
        ("    args: !secret [tok]\n", "a.yaml:4:11: tag '!secret' cannot stand on a list; \(tagHint)"),
        ("    dependencies: !retval [y]\n", "a.yaml:4:19: tag '!retval' cannot stand on a list; \(tagHint)"),
        ("    tags: !foo [x]\n", "a.yaml:4:11: tag '!foo' cannot stand on a list; \(tagHint)"),
        (
            "    args: !secrt [x]\n",
            "a.yaml:4:11: tag '!secrt' cannot stand on a list; did you mean '!secret'? \(tagHint)"
        ),
        (
            "    cleanup: !!python/object [echo]\n",
            "a.yaml:4:14: tag '!!python/object' cannot stand on a list; \(tagHint)"
        ),
        ("    env: {!retval y: x}\n", "a.yaml:4:11: tag '!retval' cannot stand on a mapping key; \(tagHint)"),
        ("    args: [!!python/str x]\n", "a.yaml:4:12: unknown tag '!!python/str'; jcrun knows !retval, !secret and !env"),
        ("    title: !!binary eA==\n", "a.yaml:4:12: tag '!!binary' is not allowed in 'title'"),
        (
            "    retries: !!int 2x\n",
            "a.yaml:4:14: tag '!!int' says '2x' is an integer, which it is not; \(restates)"
        ),
        (
            "    args: [!!float abc]\n",
            "a.yaml:4:12: tag '!!float' says 'abc' is a number, which it is not; \(restates)"
        ),
        (
            "    env: {X: !!bool maybe}\n",
            "a.yaml:4:14: tag '!!bool' says 'maybe' is true or false, which it is not; \(restates)"
        ),
        (
            "    env: {!!null X: a}\n",
            "a.yaml:4:11: tag '!!null' says 'X' is null, which it is not; \(restates)"
        ),
        ("    env: {X: !retval }\n", "a.yaml:4:14: '!retval' needs a job id after it, as in '!retval inventory'"),
        ("    args: [!env ]\n", "a.yaml:4:12: '!env' needs an environment variable's name after it, as in '!env HOME'"),
        (
            "    timeout: [1]\n",
            "a.yaml:4:14: 'timeout' must be a duration such as 10m (a whole number and s, m, h or d), not a list"
        ),
        (
            "    max_age: {a: 1}\n",
            "a.yaml:4:14: 'max_age' must be a duration such as 10m (a whole number and s, m, h or d), not a mapping"
        ),
        ("    retries: [1]\n", "a.yaml:4:14: 'retries' must be a whole number from 0 to 100, not a list"),
        ("    protect: [x]\n", "a.yaml:4:14: 'protect' must be true or false, not a list"),
        (
            "    env: {X: \"a\u{85}b\"}\n",
            "a.yaml:4:16: a U+0085 (next line) character written as itself, which YAML reads as a line break; to mean the character, write \"\\N\" inside double quotes"
        ),
    ]

    @Test(arguments: jobCases)
    func aBadValueInAJobIsRefusedWithItsExactMessage(body: String, expected: String) throws {
        let project = try TempProject([
            "jobs.d/a.yaml": "jobs:\n  - id: x\n    command: run\n" + body
        ])
        let lines = project.errorLines().map { $0.replacingOccurrences(of: "jobs.d/", with: "") }
        #expect(lines.first == "jcrun: error: " + expected)
    }

    /// In `jcrun.yaml` the hint names where tags stand there: the values of
    /// `defaults`' `env` (it named a job's `command`, `args` and `env`).
    @Test(arguments: [
        ("vars:\n  home: !env [HOME]\n", "jcrun.yaml:2:9: tag '!env' cannot stand on a list"),
        ("defaults:\n  env: !secret {X: y}\n", "jcrun.yaml:2:8: tag '!secret' cannot stand on a mapping"),
    ])
    func aTagOnACollectionInTheSettingsNamesWhereTagsStandThere(settings: String, error: String) throws {
        let project = try TempProject([
            "jcrun.yaml": settings, "jobs.d/a.yaml": "jobs:\n  - id: x\n    command: run\n",
        ])
        #expect(
            project.errorLines() == [
                "jcrun: error: \(error); !retval JOB, !secret NAME and !env NAME each stand on one"
                    + " value of 'env' under 'defaults' in jcrun.yaml (X: !env HOME)"
            ])
    }

    /// A storage setting that names a folder (`sqlite://` is `/`) is an
    /// error at the setting, not the store's later one without a position.
    @Test(arguments: [
        ("sqlite://", "'/'"), ("sqlite:///", "'/'"), ("jobs.d", "'PROJECT/jobs.d'"),
    ])
    func aStorageSettingNamingAFolderIsRefusedAtItsPosition(value: String, folder: String) throws {
        let project = try TempProject([
            "jcrun.yaml": "storage: \"\(value)\"\n", "jobs.d/a.yaml": "jobs:\n  - id: x\n    command: run\n",
        ])
        let shown = folder.replacingOccurrences(of: "PROJECT", with: project.dir.path)
        #expect(
            project.errorLines() == [
                "jcrun: error: jcrun.yaml:1:10: invalid 'storage' '\(value)': \(shown) is a folder,"
                    + " not a database file; use a path, sqlite:PATH or postgresql://..."
            ])
    }

    @Test func aControlCharacterATemplateWroteIsNamed() throws {
        let project = try TempProject([
            "jobs.d/a.yaml": "jobs:\n  - id: x\n    command: [echo, \"{{ 'a\\x00b' }}\", \"{{ 'c\\x81' }}\"]\n"
        ])
        #expect(
            project.errorLines() == [
                "jcrun: error: jobs.d/a.yaml:3:25: control character \\x00 is not allowed in YAML text (only tab and line breaks are)"
            ])
        let c1 = try TempProject(["jobs.d/a.yaml": "jobs:\n  - id: \"x\u{81}\"\n    command: run\n"])
        #expect(
            c1.errorLines() == [
                "jcrun: error: jobs.d/a.yaml:2:11: control character \\x81 is not allowed in YAML text (only tab and line breaks are)"
            ])
    }

    @Test func tagsThatRestateTheTypeAreAccepted() throws {
        let project = try TempProject([
            "jobs.d/a.yaml": """
            jobs:
              - id: x
                command: !!seq [echo, !!str hi]
                env: !!map {!!str A: !!str b}
                retries: !!int 2
                args: [!!int 0x1F, !!int -1_000, !!float .5, !!float 1e3, !!bool on, !!int 1:30]
            """
        ])
        let job = try #require(try project.load()["x"])
        #expect(job.args == ["0x1F", "-1_000", ".5", "1e3", "on", "1:30"].map { .text($0) })
        #expect(job.command == .argv([.text("echo"), .text("hi")]))
        #expect(job.env == [Job.EnvEntry(name: "A", value: .text("b"))])
        #expect(job.retries == 2)
    }

    /// `!!int` on an id that is not an integer is refused, not taken as the text.
    @Test func anIdWhoseTagDoesNotFitIsRefused() throws {
        let project = try TempProject(["jobs.d/a.yaml": "jobs:\n  - id: !!int 5x\n    command: run\n"])
        #expect(
            project.errorLines() == [
                "jcrun: error: jobs.d/a.yaml:2:9: tag '!!int' says '5x' is an integer, which it is not; \(Self.restates)"
            ])
    }

    /// One `jcrun.yaml` and its first error; the secret file holds a NUL.
    static let settingsCases: [(String, String)] = [
        ("secrets:\n  tok: {file: nul-secret}\n", "jcrun.yaml:2:8: secret 'tok' \(nul)"),
        (
            "secrets: {tok: {envv: X}}\n",
            "jcrun.yaml:1:17: unknown key 'envv' in secret 'tok'; did you mean 'env'? a secret is text, {env: NAME} or {file: PATH}"
        ),
        (
            "secrets: {tok: {env: X, file: y}}\n",
            "jcrun.yaml:1:16: secret 'tok' must be text, {env: NAME} or {file: PATH}, not a mapping of 2 keys"
        ),
        (
            "secrets: {tok: [a]}\n",
            "jcrun.yaml:1:16: secret 'tok' must be text, {env: NAME} or {file: PATH}, not a list"
        ),
        (
            "storage: ftp://x/y\n",
            "jcrun.yaml:1:10: invalid 'storage' 'ftp://x/y': unknown storage scheme 'ftp://'; use a path, sqlite:PATH or postgresql://..."
        ),
        (
            "storage: \"sqlite:\"\n",
            "jcrun.yaml:1:10: invalid 'storage' 'sqlite:': the storage setting names no file; use a path, sqlite:PATH or postgresql://..."
        ),
        (
            "storage: postgresq://u:pw@h/db\n",
            "jcrun.yaml:1:10: invalid 'storage' 'postgresq://u:***@h/db': unknown storage scheme 'postgresq://'; use a path, sqlite:PATH or postgresql://...; did you mean 'postgresql://'?"
        ),
        (
            "{{ x }}: 1\n",
            "jcrun.yaml:1:1: a key in 'jcrun.yaml' must be text, not a mapping; jcrun.yaml is plain YAML, not a template; quote a key that starts with '{' or '['"
        ),
        (
            "vars: !env {a: 1}\n",
            "jcrun.yaml:1:7: tag '!env' cannot stand on a mapping; !retval JOB, !secret NAME and"
                + " !env NAME each stand on one value of 'env' under 'defaults' in jcrun.yaml (X: !env HOME)"
        ),
        ("vars: {a: [1, !env HOME]}\n", "jcrun.yaml:1:15: tag '!env' is not allowed in 'vars'"),
    ]

    @Test(arguments: settingsCases)
    func aBadSettingIsRefusedWithItsExactMessage(settings: String, expected: String) throws {
        let project = try TempProject([
            "jcrun.yaml": settings, "nul-secret": "ab\0cd\n",
            "jobs.d/a.yaml": "jobs:\n  - id: x\n    command: run\n",
        ])
        #expect(project.errorLines().first == "jcrun: error: " + expected)
    }

    @Test func jcrunYmlIsReadAndTwoSettingsFilesAreRefused() throws {
        let yml = try TempProject([
            "jcrun.yml": "vars: {word: hi}\n", "jobs.d/a.yaml": "jobs:\n  - id: x\n    command: [echo, '{{ word }}']\n",
        ])
        #expect(try yml.load()["x"]?.command == .argv([.text("echo"), .text("hi")]))
        let both = try TempProject([
            "jcrun.yml": "vars: {word: hi}\n", "jcrun.yaml": "vars: {word: ho}\n",
            "jobs.d/a.yaml": "jobs: []\n",
        ])
        #expect(
            both.errorLines() == [
                "jcrun: error: jcrun.yaml and jcrun.yml are both present; jcrun reads one settings file; keep one of the two"
            ])
    }

    @Test func aSettingsFileThatIsAFolderOrAFIFOIsNamedAsSuch() throws {
        let folder = try TempProject(["jobs.d/a.yaml": "jobs: []\n"])
        try FileManager.default.createDirectory(
            at: folder.dir.appendingPathComponent("jcrun.yaml"), withIntermediateDirectories: false)
        #expect(
            folder.errorLines() == [
                "jcrun: error: jcrun.yaml: expected a settings file (YAML text), found a folder"
            ])
        let fifo = try TempProject(["jobs.d/a.yaml": "jobs: []\n"])
        #expect(mkfifo(fifo.dir.appendingPathComponent("jcrun.yaml").path, 0o600) == 0)
        #expect(
            fifo.errorLines() == [
                "jcrun: error: jcrun.yaml: expected a settings file (YAML text), found a named pipe (FIFO)"
            ])
    }

    /// An include or import of a FIFO or a folder says what it is, not "not found".
    @Test func anIncludedFIFOOrFolderIsNamedAsSuch() throws {
        let project = try TempProject([
            "jobs.d/a.yaml": "jobs: []\n{% include '_fifo.j2' %}\n",
            "jobs.d/b.yaml": "jobs: []\n{% import '_dir.j2' as m %}\n",
        ])
        #expect(mkfifo(project.dir.appendingPathComponent("jobs.d/_fifo.j2").path, 0o600) == 0)
        try FileManager.default.createDirectory(
            at: project.dir.appendingPathComponent("jobs.d/_dir.j2"),
            withIntermediateDirectories: false)
        #expect(
            project.errorLines() == [
                "jcrun: error: jobs.d/a.yaml:2:1: cannot read template '_fifo.j2': it is a named pipe (FIFO), not a regular file",
                "jcrun: error: jobs.d/b.yaml:2:1: cannot read template '_dir.j2': it is a folder, not a regular file",
            ])
    }

    @Test func aLongCycleIsShownShortened() throws {
        let project = try TempProject([
            "jobs.d/a.yaml": """
            jobs:
            {% for i in range(3000) %}
              - id: j{{ i }}
                command: x
                dependencies: [j{{ (i + 1) % 3000 }}]
            {% endfor %}
            """
        ])
        #expect(
            project.errorLines() == [
                "jcrun: error: jobs.d/a.yaml:5:20: jobs depend on each other in a circle: j0 → j1 → j2 → j3 → j4 → ... 2994 more → j2999 → j0",
                "  jobs.d/a.yaml:5:20: j0 needs j1",
                "  jobs.d/a.yaml:5:20: j1 needs j2",
                "  jobs.d/a.yaml:5:20: j2 needs j3",
                "  jobs.d/a.yaml:5:20: j3 needs j4",
                "  jobs.d/a.yaml:5:20: j4 needs j5",
                "  ... 2994 more",
                "  jobs.d/a.yaml:5:20: j2999 needs j0",
            ])
    }

    @Test func messagesEscapeEveryCharacterThatWouldActOrHide() {
        #expect(
            VisibleText.escapedMessage("id 'a\u{85}b\u{1b}c\u{200B}d\u{2028}e\u{202E}f'\tok\nnext")
                == "id 'a\\x85b\\x1bc\\u200bd\\u2028e\\u202ef'\tok\nnext")
        #expect(VisibleText.escapedMessage("café → ok") == "café → ok")
    }
}
