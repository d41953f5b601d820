import Foundation
import Jinja
import Testing
import YAMLNodes

@testable import JobControl

/// A throw-away project under /tmp: `files` maps paths (`jobs.d/a.yaml`,
/// `jcrun.yaml`) to their text.
struct TempProject {
    let dir: URL

    init(_ files: [String: String]) throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("jcrun-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("jobs.d"), withIntermediateDirectories: true)
        for (path, text) in files {
            try Data(text.utf8).write(to: dir.appendingPathComponent(path))
        }
    }

    static let environment = ["HOME": "/home/jcrun", "TOKEN_VAR": "s3cr3t-token", "SHORT": "abc"]

    func load() throws -> JobSet {
        defer { try? FileManager.default.removeItem(at: dir) }
        return try ProjectLoader.load(
            projectDir: dir, jobsDir: dir.appendingPathComponent("jobs.d"),
            environment: Self.environment, displayBase: dir)
    }

    /// The formatted error lines of a load that must fail.
    func errorLines() -> [String] {
        do {
            _ = try load()
            return []
        } catch let errors as ConfigErrors {
            return errors.formatted()
        } catch {
            return ["unexpected: \(error)"]
        }
    }
}

/// Loads one job file (`jobs.d/a.yaml`) with an optional `jcrun.yaml`.
private func jobs(_ text: String, settings: String? = nil) throws -> JobSet {
    var files = ["jobs.d/a.yaml": text]
    if let settings { files["jcrun.yaml"] = settings }
    return try TempProject(files).load()
}

private func errors(_ text: String, settings: String? = nil) throws -> [String] {
    var files = ["jobs.d/a.yaml": text]
    if let settings { files["jcrun.yaml"] = settings }
    return try TempProject(files).errorLines()
}

private func job(_ body: String, settings: String? = nil) throws -> Job {
    let set = try jobs("jobs:\n  - id: x\n    command: run\n" + body, settings: settings)
    return try #require(set["x"])
}

@Test func everyJobKeyIsDecoded() throws {
    let text = """
        jobs:
          - id: setup
            command: ["scripts/setup.sh"]
          - id: crawl
            title: "Crawl it"
            notes: Shown in listings.
            command: ["scripts/crawl.sh", "http://www.example.com"]
            args: [spam, !retval setup]
            env:
              STORAGE: postgresql://localhost/crawled
              INPUT: !retval setup
              TOKEN: !secret api_token
              HOME_COPY: !env HOME
            dependencies: [setup]
            workdir: sub
            timeout: 30m
            retries: 2
            retry_delay: 10s
            stop_grace: 5
            max_age: 1d
            tags: [big-disk]
            protect: true
            early_cutoff: true
            directives: fd
            cleanup: scripts/drop.sh

        """
    let set = try jobs(text, settings: "secrets:\n  api_token: {env: TOKEN_VAR}\n")
    let crawl = try #require(set["crawl"])
    #expect(crawl.title == "Crawl it")
    #expect(crawl.notes == "Shown in listings.")
    #expect(crawl.command == .argv([.text("scripts/crawl.sh"), .text("http://www.example.com")]))
    #expect(crawl.args == [.text("spam"), .retval("setup")])
    #expect(crawl.env.map(\.name) == ["STORAGE", "INPUT", "TOKEN", "HOME_COPY"])
    #expect(
        crawl.env.map(\.value) == [
            .text("postgresql://localhost/crawled"), .retval("setup"), .secret("api_token"),
            .text("/home/jcrun"),
        ])
    #expect(crawl.dependencies == ["setup"])
    #expect(crawl.workdir == "sub")
    #expect(crawl.timeout == 1_800)
    #expect(crawl.retries == 2)
    #expect(crawl.retryDelay == 10)
    #expect(crawl.stopGrace == 5)
    #expect(crawl.maxAge == 86_400)
    #expect(crawl.tags == ["big-disk"])
    #expect(crawl.protect && crawl.earlyCutoff)
    #expect(crawl.directives == .fd)
    #expect(crawl.cleanup == .shell("scripts/drop.sh"))
    #expect(crawl.source == SourceLocation(file: "jobs.d/a.yaml", line: 4, column: 9))
    #expect(set.settings.secrets == ["api_token": "s3cr3t-token"])
    #expect(set.jobs.map(\.id) == ["setup", "crawl"])
}

@Test func unsetKeysTakeTheirDefaults() throws {
    let plain = try job("")
    #expect(plain.command == .shell("run"))
    #expect(
        plain.args.isEmpty && plain.env.isEmpty && plain.dependencies.isEmpty && plain.tags.isEmpty)
    #expect(plain.workdir == "." && plain.timeout == nil && plain.retries == 0)
    #expect(plain.retryDelay == 0 && plain.stopGrace == 10 && plain.maxAge == nil)
    #expect(
        !plain.protect && !plain.earlyCutoff && plain.directives == .stdout && plain.cleanup == nil)
}

@Test func defaultsApplyUnderTheJobsOwnKeys() throws {
    let settings = """
        defaults:
          timeout: 2h
          retries: 1
          tags: [linux]
          env: {A: from-defaults, B: from-defaults}

        """
    let inherited = try job("", settings: settings)
    #expect(inherited.timeout == 7_200 && inherited.retries == 1 && inherited.tags == ["linux"])
    #expect(
        inherited.env == [
            .init(name: "A", value: .text("from-defaults")),
            .init(name: "B", value: .text("from-defaults")),
        ])
    let own = try job("    retries: 0\n    env: {B: own, C: own}\n", settings: settings)
    #expect(own.retries == 0 && own.timeout == 7_200)
    #expect(own.env.map(\.name) == ["A", "B", "C"])
    #expect(own.env.map(\.value) == [.text("from-defaults"), .text("own"), .text("own")])
}

@Test func scalarsStayTheTextTheirFieldExpects() throws {
    let set = try jobs(
        """
        jobs:
          - id: NO
            command: [echo, on, 1.10, 010, ~, true]
            env: {A: NO, B: off, C: 0x1F}
          - id: "010x"
            command: run
            dependencies: [NO]

        """)
    let no = try #require(set["NO"])
    #expect(no.command == .argv(["echo", "on", "1.10", "010", "~", "true"].map(ArgValue.text)))
    #expect(no.env.map(\.value) == [.text("NO"), .text("off"), .text("0x1F")])
    #expect(set["010x"]?.dependencies == ["NO"])
}

@Test func idsAreNormalisedToNFC() throws {
    let decomposed = "cafe\u{301}"
    let set = try jobs(
        "jobs:\n  - id: \(decomposed)\n    command: run\n  - id: b\n    command: run\n    dependencies: [caf\u{E9}]\n"
    )
    #expect(set.jobs.map(\.id) == ["caf\u{E9}", "b"])
    #expect(set.jobs[0].id.unicodeScalars.count == 4)
}

@Test(arguments: [
    ("30", 30), ("45s", 45), ("30m", 1_800), ("2h", 7_200), ("1d", 86_400), ("0", 0), ("010m", 600),
    ("36500d", 3_153_600_000),
])
func durationsAreWholeSecondsWithOneUnit(text: String, seconds: Int) throws {
    #expect(try Duration.seconds(from: text) == seconds)
}

@Test(arguments: [
    "-1", "1x", "5w", "1.5h", ".inf", ".nan", "10 m", "1h30m", "", "m", "36501d",
    "99999999999999999999999",
])
func badDurationsAreRefused(text: String) {
    #expect(throws: Duration.Problem.self) { try Duration.seconds(from: text) }
}

/// One job body and the exact error it gives (the job is `x`, in `jobs.d/a.yaml`).
private let decodingErrors: [(String, String)] = [
    (
        "    timeout: 1.5h\n",
        "jcrun: error: a.yaml:4:14: invalid 'timeout' '1.5h': expected a whole number with one unit s, m, h or d (like 30m or 2h), or whole seconds"
    ),
    (
        "    timeout: 0\n",
        "jcrun: error: a.yaml:4:14: invalid 'timeout' '0': must be above 0; leave 'timeout' out for no limit"
    ),
    (
        "    max_age: 101000d\n",
        "jcrun: error: a.yaml:4:14: invalid 'max_age' '101000d': a duration may be at most 100 years"
    ),
    (
        "    retries: -1\n",
        "jcrun: error: a.yaml:4:14: invalid 'retries' '-1': expected a whole number from 0 to 100"
    ),
    (
        "    protect: yes\n",
        "jcrun: error: a.yaml:4:14: invalid 'protect' 'yes': expected true or false"
    ),
    (
        "    directives: on\n",
        "jcrun: error: a.yaml:4:17: invalid 'directives' 'on': expected stdout, fd or off"
    ),
    (
        "    args: text\n",
        "jcrun: error: a.yaml:4:11: 'args' must be a list of text, not text"
    ),
    (
        "    env: [A, B]\n",
        "jcrun: error: a.yaml:4:10: 'env' must be a mapping, not a list"
    ),
    (
        "    tags: [[a]]\n",
        "jcrun: error: a.yaml:4:12: 'tags' must be text, not a list"
    ),
    (
        "    env: {JCRUN_JOB_ID: x}\n",
        "jcrun: error: a.yaml:4:11: env name 'JCRUN_JOB_ID' is reserved: names starting with JCRUN_ are set by jcrun"
    ),
    (
        "    env: {T: !secret api_tokn}\n",
        "jcrun: error: a.yaml:4:14: unknown secret 'api_tokn'; did you mean 'api_token'? secrets are defined under 'secrets:' in jcrun.yaml"
    ),
    (
        "    title: !retval x\n",
        "jcrun: error: a.yaml:4:12: tag '!retval' is not allowed in 'title'"
    ),
    (
        "    args: [!retval y]\n",
        "jcrun: error: a.yaml:4:12: job 'x' uses '!retval y', but 'y' is not one of its dependencies; add 'y' to the job's dependencies"
    ),
    (
        "    cleanup: []\n",
        "jcrun: error: a.yaml:4:14: invalid 'cleanup' '[]': a command must name a program"
    ),
    (
        "    dependencies: [a-b, a_b]\n",
        "jcrun: error: a.yaml:4:25: dependencies 'a-b' and 'a_b' both pass their return value as JCRUN_RETVAL_A_B; rename one of the two jobs"
    ),
]

@Test(arguments: decodingErrors)
func aBadJobKeyGivesItsExactError(body: String, expected: String) throws {
    let settings = "secrets:\n  api_token: plain-value\n"
    let project = try TempProject([
        "jobs.d/a.yaml": "jobs:\n  - id: x\n    command: run\n" + body,
        "jobs.d/b.yaml": "jobs:\n  - id: a-b\n    command: run\n  - id: a_b\n    command: run\n",
        "jcrun.yaml": settings,
    ])
    let lines = project.errorLines().map { $0.replacingOccurrences(of: "jobs.d/", with: "") }
    #expect(lines.first == expected)
}

@Test(arguments: [
    ("x y", "an id must not contain white space or control characters"),
    ("a\u{200B}b", "an id must not contain invisible formatting characters (U+200B)"),
    ("\u{202E}evil", "an id must not contain invisible formatting characters (U+202E)"),
    ("a/b", "an id must not contain '/'"),
    ("a=b", "an id must not contain '='"),
    ("a#b", "an id must not contain '#'"),
    ("a,b", "an id must not contain ','"),
    ("-x", "an id must not start with '-'"),
    (".x", "an id must not start with '.'"),
    ("123", "an id must not be all digits (digits name a build)"),
    ("", "an id must not be empty"),
])
func badJobIdsAreRefused(id: String, problem: String) {
    #expect(jobIDProblem(id) == problem)
}

@Test func missingIdAndCommandAreBothReported() throws {
    #expect(
        try errors("jobs:\n  - title: t\n") == [
            "jcrun: error: jobs.d/a.yaml:2:5: this job has no 'id'",
            "jcrun: error: jobs.d/a.yaml:2:5: this job has no 'command'",
        ])
}

@Test func everyErrorIsCollectedUpToTwentyThenCounted() throws {
    var text = "jobs:\n"
    for number in 1...25 { text += "  - id: j\(number)\n    command: run\n    timout: 1m\n" }
    let lines = try errors(text)
    #expect(lines.count == 21)
    #expect(
        lines[0]
            == "jcrun: error: jobs.d/a.yaml:4:5: unknown key 'timout' in job 'j1'; did you mean 'timeout'?"
    )
    #expect(lines[20] == "jcrun: error: 5 more errors")
}

@Test func errorsInSeveralFilesAreAllReported() throws {
    let project = try TempProject([
        "jobs.d/a.yaml": "jobs:\n  - id: a\n    command: run\n    retries: many\n",
        "jobs.d/b.yml": "jobs: [",
        "jobs.d/_macros.j2": "not a job file: [",
        "jobs.d/notes.txt": "ignored",
    ])
    #expect(
        project.errorLines() == [
            "jcrun: error: jobs.d/a.yaml:4:14: invalid 'retries' 'many': expected a whole number from 0 to 100",
            "jcrun: error: jobs.d/b.yml:1:8: invalid YAML: did not find expected node content while parsing a flow node",
        ])
}

@Test func settingsAreChecked() throws {
    let settings = """
        storage: state/db.sqlite
        vars:
          env: x
          flag: true
          count: 3
          name: '3'
        secrets:
          short: abc
          from_env: {env: UNSET_VARIABLE}
          weird: {vault: x}

        """
    let lines = try errors("jobs: []\n", settings: settings)
    #expect(
        lines == [
            "jcrun: error: jcrun.yaml:3:3: a var may not be named 'env': templates see the environment as 'env'",
            "jcrun: error: jcrun.yaml:8:3: secret 'short' is shorter than 4 characters, too short to mask safely",
            "jcrun: error: jcrun.yaml:9:19: secret 'from_env' reads environment variable 'UNSET_VARIABLE', which is not set",
            "jcrun: error: jcrun.yaml:10:11: unknown key 'vault' in secret 'weird'; a secret is text, {env: NAME} or {file: PATH}",
        ])
}

@Test func settingsVarsAndStorageAreRead() throws {
    let project = try TempProject([
        "jobs.d/a.yaml": "jobs: []\n",
        "jcrun.yaml":
            "storage: state/db.sqlite\nvars: {flag: true, count: 3, name: '3', list: [a]}\nsecrets:\n  file_secret: {file: token.txt}\n",
        "token.txt": "from-a-file\n",
    ])
    let dir = project.dir.standardizedFileURL.path
    let set = try project.load()
    #expect(set.settings.storage == dir + "/state/db.sqlite")
    #expect(set.settings.vars.pairs.map(\.0) == ["flag", "count", "name", "list"])
    #expect(set.settings.vars["flag"] == .bool(true))
    #expect(set.settings.vars["count"] == .int(3))
    #expect(set.settings.vars["name"] == .string("3"))
    #expect(set.settings.secrets == ["file_secret": "from-a-file"])
}

@Test func aLargeFileLoadsInOnePass() throws {
    // About 10 MB of jobs: 100 000 of them, each depending on the one before.
    var text = "jobs:\n"
    text.reserveCapacity(11_000_000)
    for number in 0..<100_000 {
        text += "  - id: job_\(number)\n    command: [\"scripts/run.sh\", \"--n\", \"\(number)\"]\n"
        text += "    env: {PART: \"part \(number) of the large file, padded to a hundred bytes\"}\n"
        if number > 0 { text += "    dependencies: [job_\(number - 1)]\n" }
    }
    #expect(text.utf8.count > 10_000_000)
    let set = try jobs(text)
    #expect(set.jobs.count == 100_000)
    #expect(JobGraph(set).order.last == "job_99999")
}

@Test func findProjectSearchesParentsForJobsD() throws {
    let project = try TempProject(["jobs.d/a.yaml": "jobs: []\n"])
    defer { try? FileManager.default.removeItem(at: project.dir) }
    let deep = project.dir.appendingPathComponent("a/b")
    try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
    let found = try findProject(from: deep, jobsDir: nil)
    #expect(found.projectDir.path == project.dir.standardizedFileURL.path)
    #expect(found.jobsDir.lastPathComponent == "jobs.d")
    let explicit = try findProject(from: deep, jobsDir: deep)
    #expect(explicit.jobsDir.path == deep.standardizedFileURL.path)
    #expect(throws: ConfigError.noProject(searchedFrom: "/")) {
        try findProject(from: URL(fileURLWithPath: "/"), jobsDir: nil)
    }
}

@Test(arguments: [
    ("jobs.d/a.yaml", "/p", "/p/jobs.d/a.yaml"),
    ("../jobs.d/a.yaml", "/p/sub", "/p/jobs.d/a.yaml"),
    ("/srv/jobs.d/a.yaml", "/home/u", "/srv/jobs.d/a.yaml"),
    (".", "/p", "/p"),
])
func pathsAreShownRelativeToTheCurrentFolder(expected: String, base: String, path: String) {
    #expect(displayPath(path, relativeTo: base) == expected)
}

@Test func closestMatchSuggestsTyposOnly() {
    #expect(closestMatch(to: "titel", among: JobFields.jobKeys) == "title")
    #expect(closestMatch(to: "dependecies", among: JobFields.jobKeys) == "dependencies")
    #expect(closestMatch(to: "zzz", among: JobFields.jobKeys) == nil)
}

@Test func anchorsAndMergeKeysShareSettingsBetweenJobs() throws {
    let set = try jobs(
        """
        jobs:
          - &base
            id: a
            command: run
            env: &env {A: "1", B: "2"}
            retries: 3
          - <<: *base
            id: b
            env:
              <<: *env
              B: own

        """)
    let b = try #require(set["b"])
    #expect(b.retries == 3 && b.command == .shell("run"))
    #expect(b.env.map(\.name) == ["A", "B"])
    #expect(b.env.map(\.value) == [.text("1"), .text("own")])
}

/// Rendered text whose every position was written at `_macros.j2:4:5`, in a
/// macro called at `sites.yaml:12:3`.
private struct MacroText: RenderedText {
    var text = ""
    func origin(line: Int, column: Int) -> Origin {
        Origin(
            position: SourcePosition(file: "sites.yaml", line: 12, column: 3),
            frames: [
                Origin.Frame(
                    what: "macro 'site'",
                    definedAt: SourcePosition(file: "_macros.j2", line: 1, column: 1),
                    calledFrom: SourcePosition(file: "sites.yaml", line: 12, column: 3))
            ],
            writtenAt: SourcePosition(file: "_macros.j2", line: 4, column: 5))
    }
}

@Test func aLocationInMacroTextNamesTheCallAndTheMacro() {
    let locator = SourceLocator(
        rendered: MacroText(), file: "jobs.d/sites.yaml", templateName: "sites.yaml"
    ) {
        "jobs.d/" + $0
    }
    let location = locator.location(Mark(line: 30, column: 9))
    #expect(
        location.description
            == "jobs.d/sites.yaml:12:3 (in macro 'site' from jobs.d/_macros.j2:4:5)")
}

@Test func aMisspeltJobsKeyIsReportedOnce() throws {
    #expect(
        try errors("jbos:\n  - id: a\n    command: run\n") == [
            "jcrun: error: jobs.d/a.yaml:1:1: unknown key 'jbos' in a job file; did you mean 'jobs'?"
        ])
    #expect(
        try errors("jobs: text\n") == [
            "jcrun: error: jobs.d/a.yaml:1:7: 'jobs' must be a list of jobs, not text"
        ])
    #expect(
        try errors("jobs:\n  - just text\n") == [
            "jcrun: error: jobs.d/a.yaml:2:5: each entry of 'jobs' must be a mapping (a job), not text"
        ])
}

@Test func theTemplateLoaderStaysInsideJobsD() throws {
    let project = try TempProject([
        "jobs.d/_macros.j2": "{% macro m() %}{% endmacro %}", "secret.txt": "no",
    ])
    defer { try? FileManager.default.removeItem(at: project.dir) }
    let loader = JobsDirLoader(jobsDir: project.dir.appendingPathComponent("jobs.d"))
    #expect(try loader.source(named: "_macros.j2") == "{% macro m() %}{% endmacro %}")
    #expect(try loader.source(named: "../secret.txt") == nil)
    #expect(try loader.source(named: project.dir.appendingPathComponent("secret.txt").path) == nil)
    #expect(try loader.source(named: "missing.j2") == nil)
}

@Test func defaultsTakeOnlyTheirKeysAndResolveEnvNow() throws {
    let lines = try errors("jobs: []\n", settings: "defaults:\n  command: run\n  timeout: 1x\n")
    #expect(
        lines == [
            "jcrun: error: jcrun.yaml:2:3: unknown key 'command' in defaults",
            "jcrun: error: jcrun.yaml:3:12: invalid 'timeout' '1x': expected a whole number with one unit s, m, h or d (like 30m or 2h), or whole seconds",
        ])
    let resolved = try job("", settings: "defaults:\n  env: {WHERE: !env HOME}\n")
    #expect(resolved.env == [.init(name: "WHERE", value: .text("/home/jcrun"))])
}

/// The macro example of JOBS.md ("Templates come first").
private let websiteMacro = """
    {% macro process_website(name, url) %}
    - id: crawl_{{ name }}
      title: "Crawl {{ url }}"
      command: ["scripts/crawl.sh", "{{ url }}"]
      env:
        STORAGE: "postgresql://.../crawled_data_{{ name }}"

    - id: process_{{ name }}
      title: "Process {{ url }}"
      command: ["scripts/process.sh"]
      dependencies: [crawl_{{ name }}]
      env:
        INPUT_STORAGE: !retval crawl_{{ name }}
        STORAGE: "postgresql://.../processed_data_{{ name }}"
    {% endmacro %}

    """

@Test func theMacroExampleOfJobsMdGivesSixJobsInOrder() throws {
    let text =
        websiteMacro + """
            jobs:
            {{ process_website('example_com', 'http://www.example.com') }}
            {{ process_website('example_org', 'http://www.example.org') }}
            {{ process_website('example_net', 'http://www.example.net') }}

            """
    let set = try jobs(text)
    #expect(
        set.jobs.map(\.id) == [
            "crawl_example_com", "process_example_com", "crawl_example_org", "process_example_org",
            "crawl_example_net", "process_example_net",
        ])
    let process = try #require(set["process_example_org"])
    #expect(process.dependencies == ["crawl_example_org"])
    #expect(process.env[0] == .init(name: "INPUT_STORAGE", value: .retval("crawl_example_org")))
    #expect(process.title == "Process http://www.example.org")
}

@Test func anErrorInMacroTextNamesTheCallAndTheMacroLine() throws {
    let text =
        websiteMacro + """
            jobs:
            {{ process_website('example_com', 'http://www.example.com') }}
            {{ process_website('example_org', 'http://www.example.org') }}
            {{ process_website('example_org', 'http://www.example.net') }}

            """
    let lines = try errors(text)
    #expect(
        lines == [
            "jcrun: error: jobs.d/a.yaml:19:4 (in macro 'process_website' from jobs.d/a.yaml:2:7): job 'crawl_example_org' is defined twice",
            "  jobs.d/a.yaml:18:4 (in macro 'process_website' from jobs.d/a.yaml:2:7): first definition of 'crawl_example_org'",
            "jcrun: error: jobs.d/a.yaml:19:4 (in macro 'process_website' from jobs.d/a.yaml:8:7): job 'process_example_org' is defined twice",
            "  jobs.d/a.yaml:18:4 (in macro 'process_website' from jobs.d/a.yaml:8:7): first definition of 'process_example_org'",
        ])
}

@Test func theRepositorysOwnJobsLoad() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let project = try findProject(from: root, jobsDir: nil)
    let set = try ProjectLoader.load(
        projectDir: project.projectDir, jobsDir: project.jobsDir,
        environment: ProcessInfo.processInfo.environment, displayBase: root)
    #expect(!set.jobs.isEmpty)
    #expect(JobGraph(set).order.count == set.jobs.count)
}

/// Files load in parallel; the jobs and errors still come out in file-name
/// order, the same on every load, and the first 20 errors are the first 20
/// in that order.
@Test func filesLoadedInParallelGiveJobsAndErrorsInNameOrder() throws {
    var files: [String: String] = [:]
    for n in 0..<12 {
        let name = String(format: "jobs.d/f%02d.yaml", n)
        files[name] = "jobs:\n  - id: ok_\(n)\n    command: run\n  - id: bad_\(n)\n    comand: run\n"
            + "  - id: worse_\(n)\n    command: run\n    timeout: forever\n"
    }
    var first: [String]?
    for _ in 0..<5 {
        let lines = try TempProject(files).errorLines()
        if let first { #expect(lines == first) } else { first = lines }
    }
    let lines = first ?? []
    #expect(lines.count == 21)
    // 2 errors in each of 12 files: the misspelt `comand` (not also "has no
    // 'command'") and the bad timeout.
    #expect(lines.last == "jcrun: error: 4 more errors")
    let named = lines.prefix(20).map { String($0.dropFirst("jcrun: error: ".count).prefix(14)) }
    #expect(named == named.sorted())
    #expect(named.last == "jobs.d/f09.yam")
    // The typo alone (5:5), then the bad timeout (8:5); no "has no 'command'".
    #expect(lines[0].hasPrefix("jcrun: error: jobs.d/f00.yaml:5:5: unknown key 'comand'"))
    #expect(lines[1].hasPrefix("jcrun: error: jobs.d/f00.yaml:8:"))

    var good: [String: String] = [:]
    for n in 0..<12 { good[String(format: "jobs.d/f%02d.yaml", n)] = "jobs:\n  - id: j_\(n)\n    command: run\n" }
    let ids = try TempProject(good).load().jobs.map(\.id)
    #expect(ids == (0..<12).map { "j_\($0)" })
}

/// Errors found once every file is read (an undefined dependency, a cycle,
/// a duplicate id) come in the file and at the line they name, among that
/// file's own errors: jcrun.yaml first, then the files by name, each by
/// line and column (they used to come after every file's own).
@Test func errorsComeInFileLineAndColumnOrderWhateverStepFoundThem() throws {
    let lines = try TempProject([
        "jcrun.yaml": "vars:\n  x: !env [A]\n",
        "jobs.d/a.yaml": "jobs:\n  - id: a\n    command: x\n    dependencies: [nope]\n  - id: a2\n    command: x\n    titel: t\n",
        "jobs.d/b.yaml": "jobs:\n  - id: c\n    command: x\n    dependencies: [d]\n  - id: d\n    command: x\n    dependencies: [c]\n    retries: many\n",
        "jobs.d/c.yaml": "jobs:\n  - id: a\n    command: x\n",
    ]).errorLines()
    let firsts = lines.filter { $0.hasPrefix("jcrun: error: ") }.map {
        String($0.dropFirst("jcrun: error: ".count).prefix { $0 != " " })
    }
    #expect(
        firsts == [
            "jcrun.yaml:2:6:", "jobs.d/a.yaml:4:20:", "jobs.d/a.yaml:7:5:", "jobs.d/b.yaml:4:20:",
            "jobs.d/b.yaml:8:14:", "jobs.d/c.yaml:2:9:",
        ])
}

/// A cycle is reported beside an undefined dependency, not only once the
/// other errors are fixed (a tester's finding).
@Test func aCycleIsReportedBesideOtherErrors() throws {
    let lines = try TempProject([
        "jobs.d/a.yaml": "jobs:\n  - id: bad\n    command: x\n    dependencies: [nope]\n",
        "jobs.d/b.yaml": "jobs:\n  - id: z\n    command: x\n    dependencies: [z2]\n  - id: z2\n    command: x\n    dependencies: [z]\n",
    ]).errorLines()
    #expect(lines.first?.hasPrefix("jcrun: error: jobs.d/a.yaml:4:20: job 'bad' needs 'nope'") == true)
    #expect(lines.filter { $0.hasPrefix("jcrun: error: ") }.count == 2)
    #expect(lines.contains { $0.contains("jobs depend on each other in a circle: z → z2 → z") })
}
