import Foundation
import Testing
@testable import JobControl

/// The job-set cache (issue #5): a hit gives exactly what loading gives, and
/// any change to what loading reads is a miss. A stale cache is a bug.
@Suite struct CacheTests {
    /// A project under /tmp whose loads go through a cache in `.jcrun/cache`.
    final class Project {
        let dir: URL
        var environment = ["HOME": "/home/jcrun", "STAGE": "test", "TOKEN": "t0ken-value"]

        init() throws {
            dir = URL(fileURLWithPath: "/tmp/jcrun-cache-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(
                at: dir.appendingPathComponent("jobs.d"), withIntermediateDirectories: true)
            try write("jcrun.yaml", "vars:\n  count: 3\n")
            try write("jobs.d/_macros.j2", """
                {% macro job(name, n) -%}
                - id: {{ name }}_{{ n }}
                  command: ["/bin/true", "{{ env.STAGE }}"]
                  env:
                    TOKEN: !env TOKEN
                {%- if n > 0 %}
                  dependencies: [{{ name }}_{{ n - 1 }}]
                {%- endif %}
                {%- endmacro %}
                """)
            try write("jobs.d/a.yaml", """
                {% import "_macros.j2" as m %}
                jobs:
                {% for n in range(count) %}
                {{ m.job("a", n) }}
                {% endfor %}
                """)
        }

        deinit { try? FileManager.default.removeItem(at: dir) }  // best effort: /tmp is cleaned anyway

        var jobsDir: URL { dir.appendingPathComponent("jobs.d") }
        var cacheFolder: URL { dir.appendingPathComponent(".jcrun/cache") }

        func write(_ path: String, _ text: String) throws {
            try Data(text.utf8).write(to: dir.appendingPathComponent(path))
        }

        func load(jobsDir: URL? = nil, cacheFolder: URL? = nil) throws -> JobSet {
            try ProjectLoader.load(
                projectDir: dir, jobsDir: jobsDir ?? self.jobsDir, environment: environment,
                displayBase: dir, cacheFolder: cacheFolder ?? self.cacheFolder)
        }

        /// What loading without a cache gives.
        func fresh() throws -> [Job] {
            try ProjectLoader.load(
                projectDir: dir, jobsDir: jobsDir, environment: environment, displayBase: dir
            ).jobs
        }

        /// The cache entry's jobs if it is valid now, without loading.
        func cached() -> [Job]? {
            let cache = JobSetCache(
                folder: cacheFolder, projectDir: dir, jobsDir: jobsDir, base: dir.path,
                environment: environment)
            let names = try? FileManager.default.contentsOfDirectory(atPath: jobsDir.path)
                .filter { !$0.hasPrefix("_") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) }
                .sorted()
            return cache.jobs(jobFileNames: names)
        }
    }

    @Test func aSecondLoadIsAHitWithTheSameJobs() throws {
        let project = try Project()
        #expect(project.cached() == nil)
        let first = try project.load()
        #expect(first.jobs.map(\.id) == ["a_0", "a_1", "a_2"])
        #expect(project.cached() == first.jobs)
        #expect(try project.load().jobs == first.jobs)
        #expect(try project.load().jobs == project.fresh())
    }

    /// Each change is made after a first load; the next load must see it.
    @Test(arguments: [
        "a job file's content", "a job file's content, mtime kept", "an included file",
        "an extended file", "a new job file", "a removed job file", "jcrun.yaml", "a removed jcrun.yaml",
        "an env var a template reads", "an env var !env reads", "an env var a loop reads",
    ])
    func everyChangeToAnInputIsAMiss(_ change: String) throws {
        let project = try Project()
        let before = try project.load().jobs
        #expect(project.cached() == before)
        try makeChange(change, in: project)
        #expect(project.cached() == nil, "\(change)")
        let after = try project.load().jobs
        #expect(after == (try project.fresh()), "\(change)")
        #expect(project.cached() == after, "\(change)")
    }

    private func makeChange(_ change: String, in project: Project) throws {
        let a = project.jobsDir.appendingPathComponent("a.yaml").path
        switch change {
        case "a job file's content":
            try project.write("jobs.d/a.yaml", "jobs:\n- id: only\n  command: [/bin/true]\n")
        case "a job file's content, mtime kept":
            // Same size, same modification time: only the change time and the content differ.
            var info = stat()
            stat(a, &info)
            let text = try String(contentsOfFile: a, encoding: .utf8)
            try project.write("jobs.d/a.yaml", text.replacingOccurrences(of: "\"a\"", with: "\"b\""))
            var times = [info.st_atim, info.st_mtim]
            utimensat(AT_FDCWD, a, &times, 0)
        case "an included file":
            let path = project.jobsDir.appendingPathComponent("_macros.j2").path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try project.write("jobs.d/_macros.j2", text.replacingOccurrences(of: "- id:", with: "- title: t\n  id:"))
        case "an extended file":
            try project.write(
                "jobs.d/_base.j2", "jobs:\n{% block jobs %}{% endblock %}\n- id: base\n  command: [/bin/true]\n")
            try project.write(
                "jobs.d/e.yaml",
                "{% extends '_base.j2' %}\n{% block jobs %}- id: e\n  command: [/bin/true]{% endblock %}\n")
            _ = try project.load()
            try project.write(
                "jobs.d/_base.j2", "jobs:\n{% block jobs %}{% endblock %}\n- id: base2\n  command: [/bin/true]\n")
        case "a new job file":
            try project.write("jobs.d/b.yml", "jobs:\n- id: b\n  command: [/bin/true]\n")
        case "a removed job file":
            try project.write("jobs.d/b.yml", "jobs:\n- id: b\n  command: [/bin/true]\n")
            _ = try project.load()
            try FileManager.default.removeItem(atPath: project.jobsDir.appendingPathComponent("b.yml").path)
        case "jcrun.yaml":
            try project.write("jcrun.yaml", "vars:\n  count: 2\n")
        case "a removed jcrun.yaml":
            try project.write("jcrun.yaml", "vars:\n  count: 2\ndefaults:\n  retries: 1\n")
            try project.write("jobs.d/a.yaml", "jobs:\n- id: x\n  command: [/bin/true]\n")
            _ = try project.load()
            try FileManager.default.removeItem(at: project.dir.appendingPathComponent("jcrun.yaml"))
        case "an env var a template reads":
            project.environment["STAGE"] = "production"
        case "an env var !env reads":
            project.environment["TOKEN"] = "another-token"
        default:
            // A template that walks `env` makes every variable an input.
            try project.write("jobs.d/c.yaml", """
                jobs:
                {% for name in env | dictsort %}{% if name[0] == 'ZZ' %}
                - id: zz
                  command: [/bin/true]
                {% endif %}{% endfor %}
                - id: c
                  command: [/bin/true]
                """)
            _ = try project.load()
            project.environment["ZZ"] = "1"
        }
    }

    /// A template that writes a secret's value into a job leaves no cache
    /// entry: no secret reaches the disk (a tester found one there).
    @Test func jobsHoldingASecretAreNotCached() throws {
        let project = try Project()
        project.environment["DEPLOY_KEY"] = "hush-value"
        try project.write("jcrun.yaml", "vars:\n  count: 1\nsecrets:\n  key: {env: DEPLOY_KEY}\n")
        try project.write(
            "jobs.d/s.yaml",
            "jobs:\n- id: s\n  env: {E: \"{{ env.DEPLOY_KEY }}\"}\n  command: [/bin/true]\n")
        let jobs = try project.load().jobs
        #expect(jobs.map(\.id).contains("s"))
        #expect(project.cached() == nil)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: project.cacheFolder.path)) ?? []
        for entry in entries {
            let data = try Data(contentsOf: project.cacheFolder.appendingPathComponent(entry))
            #expect(!String(decoding: data, as: UTF8.self).contains("hush-value"))
        }
        // Without the secret in any job, the same project is cached again.
        try project.write("jobs.d/s.yaml", "jobs:\n- id: s\n  command: [/bin/true]\n")
        let clean = try project.load().jobs
        // The cache holds the jobs before they are told the secrets to mask.
        #expect(project.cached()?.map(\.id) == clean.map(\.id))
    }

    @Test func anEnvVarNoTemplateReadsIsStillAHit() throws {
        let project = try Project()
        let jobs = try project.load().jobs
        project.environment["HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET"] = "123"
        project.environment["OLDPWD"] = "/elsewhere"
        #expect(project.cached() == jobs)
    }

    @Test(arguments: [
        ("{{ env.HOME }} {{ env['DATA'] }} {{ env[\"X_1\"] | default('') }}", ["DATA", "HOME", "X_1"], false),
        ("env:\n  A: !env TOKEN\nenvironment: x\n{{ loop.env }} {{ ns.env }}", [], false),
        ("{% for k in env %}{% endfor %}", [], true),
        ("{{ env.get('HOME') }}", [], true),
        ("{{ env[name] }}", [], true),
        ("{{ env | tojson }}", [], true),
        ("{{ m.job(env) }}", [], true),
    ])
    func templatesUseOfEnvIsFound(text: String, names: [String], whole: Bool) {
        let use = EnvironmentScan.uses(in: Array(text.utf8))
        #expect(use.whole == whole, "\(text)")
        if !whole { #expect(use.names.sorted() == names, "\(text)") }
    }

    @Test func aFileTouchedButUnchangedIsStillAHit() throws {
        let project = try Project()
        let jobs = try project.load().jobs
        let a = project.jobsDir.appendingPathComponent("a.yaml").path
        let text = try String(contentsOfFile: a, encoding: .utf8)
        try project.write("jobs.d/a.yaml", text)
        #expect(project.cached() == jobs)
    }

    @Test func anotherJobsFolderOrDisplayBaseHasItsOwnEntry() throws {
        let project = try Project()
        _ = try project.load()
        let other = project.dir.appendingPathComponent("other.d")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("jobs:\n- id: other\n  command: [/bin/true]\n".utf8)
            .write(to: other.appendingPathComponent("o.yaml"))
        #expect(try project.load(jobsDir: other).jobs.map(\.id) == ["other"])
        #expect(try project.load().jobs.map(\.id) == ["a_0", "a_1", "a_2"])
        let elsewhere = try ProjectLoader.load(
            projectDir: project.dir, jobsDir: project.jobsDir, environment: project.environment,
            displayBase: URL(fileURLWithPath: "/tmp"), cacheFolder: project.cacheFolder)
        #expect(elsewhere.jobs.first?.source.file.hasSuffix("jobs.d/a.yaml") == true)
        #expect(elsewhere.jobs.first?.source.file != project.cached()?.first?.source.file)
    }

    @Test func aDamagedEntryIsAMissAndIsReplaced() throws {
        let project = try Project()
        let jobs = try project.load().jobs
        let entries = try FileManager.default.contentsOfDirectory(atPath: project.cacheFolder.path)
        #expect(entries.count == 1)
        let path = project.cacheFolder.appendingPathComponent(entries[0]).path
        let bytes = try #require(FileManager.default.contents(atPath: path))
        for cut in [0, 5, bytes.count / 2, bytes.count - 1] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            #expect(project.cached() == nil, "cut at \(cut)")
            #expect(try project.load().jobs == jobs)
        }
        #expect(project.cached() == jobs)
    }

    @Test func anUnwritableCacheFolderOnlyCostsTheCache() throws {
        let project = try Project()
        try project.write("blocker", "a file where a folder would be\n")
        let folder = project.dir.appendingPathComponent("blocker/cache")
        #expect(try project.load(cacheFolder: folder).jobs == project.fresh())
        #expect(try project.load(cacheFolder: folder).jobs == project.fresh())
    }

    @Test func aReadOnlyLoadMakesTheFolderOnlyInsideAnExistingParent() throws {
        let project = try Project()
        func readOnlyLoad() throws -> [Job] {
            try ProjectLoader.load(
                projectDir: project.dir, jobsDir: project.jobsDir, environment: project.environment,
                displayBase: project.dir, cacheFolder: project.cacheFolder, mayCreateCacheFolder: false
            ).jobs
        }
        #expect(try readOnlyLoad().count == 3)
        #expect(!FileManager.default.fileExists(atPath: project.dir.appendingPathComponent(".jcrun").path))
        try FileManager.default.createDirectory(
            at: project.dir.appendingPathComponent(".jcrun"), withIntermediateDirectories: false)
        #expect(project.cached() == nil)
        #expect(try readOnlyLoad().count == 3)
        #expect(project.cached()?.count == 3)
        try project.write("jcrun.yaml", "vars:\n  count: 1\n")
        let jobs = try readOnlyLoad()
        #expect(jobs.map(\.id) == ["a_0"])
        #expect(project.cached() == jobs)
    }

    @Test func aDefinitionErrorIsNeverCached() throws {
        let project = try Project()
        try project.write("jobs.d/bad.yaml", "jobs:\n- id: bad\n")
        #expect(throws: ConfigErrors.self) { try project.load() }
        #expect(!FileManager.default.fileExists(atPath: project.cacheFolder.path))
    }

    @Test func onlySettledStampsAreTrusted() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let nanos = Int64(1_700_000_000) * 1_000_000_000
        let old = FileStamp(device: 1, inode: 2, size: 3, modified: nanos - 3_000_000_000, changed: nanos - 3_000_000_000)
        var recent = old
        recent.changed = nanos - 500_000_000
        #expect(old.isSettled(at: now))
        #expect(!recent.isSettled(at: now))
    }

    /// Every field of a job survives the binary form.
    @Test func everyFieldOfAJobRoundTrips() throws {
        let location = SourceLocation(file: "jobs.d/x.yaml", line: 4, column: 3, context: "(in macro 'm' from jobs.d/_m.j2:1:2)")
        let job = Job(
            id: "café", title: "T", notes: "n\nmore", command: .argv([.text("/bin/echo"), .retval("dep")]),
            args: [.secret("tok"), .text("")], env: [.init(name: "A", value: .text("1")), .init(name: "B", value: .retval("dep"))],
            dependencies: ["dep", "z"], workdir: "sub", timeout: 30, retries: 2, retryDelay: 5,
            stopGrace: 7, maxAge: 0, tags: ["big", "disk"], protect: true, earlyCutoff: true,
            directives: .fd, cleanup: .shell("rm -rf \"$X\""), source: location)
        var withSources = job
        withSources.dependencySources = ["dep": location, "z": SourceLocation(file: "f", line: 1, column: 1)]
        let bare = Job(id: "plain", command: .shell("true"))
        var writer = CacheWriter()
        writer.list([withSources, bare, job]) { $0.job($1) }
        var reader = try CacheReader(writer.bytes(), from: 0)
        #expect(try reader.list { try $0.job() } == [withSources, bare, job])
        #expect(reader.isAtEnd)
    }

    /// A cached job carries its definition hash; changing any hashed field
    /// (as `masked(by:)` does) works it out again, any other field keeps it.
    @Test(arguments: ["command", "args", "env", "dependencies", "workdir", "title"])
    func aCachedHashHoldsUntilAHashedFieldChanges(_ field: String) throws {
        let project = try Project()
        let loaded = try project.load().jobs
        let cached = try #require(project.cached())
        #expect(cached.map(\.definitionHash) == loaded.map(\.definitionHash))
        var job = cached[1]
        switch field {
        case "command": job.command = .argv([.text("/bin/false")])
        case "args": job.args.append(.text("more"))
        case "env": job.env = []
        case "dependencies": job.dependencies = []
        case "workdir": job.workdir = "elsewhere"
        default: job.title = "a title outdates nothing"
        }
        var rehashed = FNV1a64()
        rehashed.write(job.hashedJSON())
        let hex = String(rehashed.value, radix: 16)
        #expect(job.definitionHash == String(repeating: "0", count: 16 - hex.count) + hex)
        #expect((job.definitionHash == cached[1].definitionHash) == (field == "title"))
    }

    /// The planner's fast hash writes the same text as the snapshot's canonical form.
    @Test(arguments: [
        Job(id: "a", command: .argv([.text("x\"y\\z\n\u{1}é")]), env: [.init(name: "Z", value: .secret("s")), .init(name: "A", value: .retval("d"))], dependencies: ["d", "b", "d"]),
        Job(id: "b", command: .shell("echo 'hi' | tr a b"), args: [.text("\t")], workdir: "a \"b\""),
        Job(id: "c", command: .argv([]), dependencies: ["x", "y"]),
    ])
    func theFastHashMatchesTheCanonicalForm(_ job: Job) {
        let canonical = job.canonicalJSON(fields: Job.hashedFields.sorted())
        #expect(job.hashedJSON() == canonical)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in canonical.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        #expect(UInt64(job.definitionHash, radix: 16) == hash)
    }
}
