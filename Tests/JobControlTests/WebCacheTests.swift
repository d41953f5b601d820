import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@testable import JobControl

/// What issue #9's performance work must not change: the jobs' status kept
/// between requests still follows every change of the store, the jobs and
/// the clock; dead runners' builds are reaped; build paging; the launched
/// child's stderr file.
@Suite(.bug(id: 9))
struct WebCacheTests {
    /// A store file written through `writer` and read by the web page
    /// through a read-only connection of its own, as `jcrun web` does.
    final class Site: @unchecked Sendable {
        let folder = StoreFolder()
        let writer: SQLiteStore
        let reader: SQLiteStore
        var jobs: JobSet
        let clock = TestClock()
        var logged: [String] = []
        let lock = NSLock()

        init(_ jobs: [Job]) throws {
            writer = try folder.openStore()
            reader = try folder.openStore(.readOnly)
            self.jobs = testJobSet(jobs)
        }

        func source(reaping: Bool = true) -> WebSource {
            let path = folder.databasePath
            let reader = self.reader
            return WebSource(
                loadJobs: { [unowned self] in self.jobs }, openStore: { reader },
                reapDeadRunners: reaping ? { try SQLiteStore.reapDeadRunners(path: path) } : nil,
                log: { [unowned self] line in self.lock.withLock { self.logged.append(line) } })
        }

        func app(_ source: WebSource) -> WebApp {
            let clock = self.clock
            return WebApp(
                security: WebSecurity(
                    csrfToken: "csrf-token-for-tests", accessToken: nil, loopbackOnly: true,
                    readOnly: false),
                source: source, launcher: nil, clock: { clock.read() })
        }

        /// A finished build of `job` that matches its current definition.
        @discardableResult
        func build(_ job: JobID, _ status: BuildStatus) throws -> BuildRecord {
            let definition = try #require(jobs[job])
            let created = try writer.createBuild(
                NewBuild(
                    job: job, trigger: "cli", reason: "test",
                    configSnapshot: definition.snapshotJSON(),
                    configHash: definition.definitionHash))
            try writer.finishBuild(
                created.id,
                result: BuildResult(
                    status: status, failureKind: status == .failed ? .exit : nil,
                    exitCode: status == .failed ? 1 : 0))
            return try #require(try writer.build(created.id))
        }
    }

    static func get(_ app: WebApp, _ path: String, query: [String: String] = [:]) -> String {
        let response = app.respond(
            WebRequest(method: "GET", path: path, query: query, headers: ["host": "127.0.0.1"]))
        return String(decoding: response.body, as: UTF8.self)
    }

    static func statuses(_ app: WebApp) throws -> [String] {
        let text = get(app, "/api/jobs")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let jobs = try #require(object["jobs"] as? [[String: Any]])
        return jobs.map { $0["status"] as? String ?? "?" }
    }

    @Test func theStatusIsComputedOnceWhileNothingChanges() throws {
        let site = try Site([testJob("a"), testJob("b", deps: ["a"])])
        try site.build("a", .successful)
        let source = site.source()
        let app = site.app(source)
        #expect(try Self.statuses(app) == ["successful", "not built"])
        _ = Self.get(app, "/")
        _ = Self.get(app, "/graph")
        _ = Self.get(app, "/jobs/a")
        #expect(try Self.statuses(app) == ["successful", "not built"])
        #expect(source.statusComputations == 1)
    }

    /// The same on both backends: computed again as soon as another
    /// connection writes; kept while nothing is written (asserted on SQLite:
    /// PostgreSQL's log position is the whole server's, which the other
    /// tests' databases move all the time).
    @Test(arguments: StoreBackend.available)
    func theStatusIsKeptUntilAnotherConnectionWrites(backend: StoreBackend) throws {
        let made = try TestStore.make(backend)
        let reader: any BuildStore = try made.reopen(.readOnly)
        let jobs = testJobSet([testJob("a"), testJob("b")])
        let source = WebSource(loadJobs: { jobs }, openStore: { reader })
        let app = WebApp(
            security: WebSecurity(
                csrfToken: "csrf-token-for-tests", accessToken: nil, loopbackOnly: true,
                readOnly: true),
            source: source, launcher: nil, clock: { Date() })
        for _ in 0..<6 { #expect(try Self.statuses(app) == ["not built", "not built"]) }
        if backend == .sqlite { #expect(source.statusComputations == 1) }
        let before = source.statusComputations
        try made.store.finishedBuild("a", .failed)
        #expect(try Self.statuses(app) == ["failed", "not built"])
        #expect(source.statusComputations == before + 1)
    }

    @Test func theAgesFollowTheClockWhileTheRowsAreKept() throws {
        let site = try Site([testJob("a"), testJob("b")])
        let build = try site.build("a", .successful)
        let finished = try #require(build.finishedAt)
        site.clock.advance(finished.timeIntervalSince(site.clock.read()) + 5)
        let source = site.source()
        let app = site.app(source)
        let first = Self.get(app, "/")
        #expect(first.contains(">5s ago</time>"))
        site.clock.advance(60)
        let second = Self.get(app, "/")
        #expect(second.contains(">1m ago</time>"))
        #expect(second.replacingOccurrences(of: ">1m ago<", with: ">5s ago<") == first)
        #expect(source.statusComputations == 1)
        try site.build("b", .failed)
        let third = Self.get(app, "/")
        #expect(third.contains("<a href=\"/builds/2\">#2</a> failed"))
        // Rows kept from before the build make the same page as a new server would.
        #expect(third == Self.get(site.app(site.source()), "/"))
    }

    @Test func aBuildStoredByAnotherConnectionShowsAtOnce() throws {
        let site = try Site([testJob("a"), testJob("b")])
        let source = site.source()
        let app = site.app(source)
        #expect(try Self.statuses(app) == ["not built", "not built"])
        try site.build("a", .failed)
        #expect(try Self.statuses(app) == ["failed", "not built"])
        try site.build("a", .successful)
        try site.build("b", .successful)
        #expect(try Self.statuses(app) == ["successful", "successful"])
        #expect(Self.get(app, "/").contains("<td class=\"status\"><span class=\"badge s-successful\">"))
        #expect(source.statusComputations == 3)
    }

    @Test func aBuildStoredThroughThePagesOwnConnectionShowsAtOnce() throws {
        let site = try Site([testJob("a")])
        let writer = site.writer
        let source = WebSource(loadJobs: { [site] in site.jobs }, openStore: { writer })
        let app = site.app(source)
        #expect(try Self.statuses(app) == ["not built"])
        try site.build("a", .failed)
        #expect(try Self.statuses(app) == ["failed"])
    }

    @Test func aChangedJobFileChangesTheStatus() throws {
        let site = try Site([testJob("a")])
        try site.build("a", .successful)
        let folder = URL(fileURLWithPath: site.folder.path + "/jobs.d", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("a.yaml")
        try "one".write(to: file, atomically: true, encoding: .utf8)
        var jobs = site.jobs
        jobs.jobsDir = folder
        site.jobs = jobs
        let app = site.app(site.source())
        #expect(try Self.statuses(app) == ["successful"])
        // A new definition, as if jobs.d/a.yaml had been edited.
        site.jobs = testJobSet([testJob("a", command: .argv([.text("/bin/false")]))])
        site.jobs.jobsDir = folder
        try "two, longer".write(to: file, atomically: true, encoding: .utf8)
        #expect(try Self.statuses(app) == ["outdated"])
    }

    @Test func aMaxAgeRunningOutMakesTheJobOutdatedWithoutAnyWrite() throws {
        let site = try Site([testJob("a", maxAge: 60)])
        let build = try site.build("a", .successful)
        let finished = try #require(build.finishedAt)
        site.clock.advance(finished.timeIntervalSince(site.clock.read()) + 10)
        let source = site.source()
        let app = site.app(source)
        #expect(try Self.statuses(app) == ["successful"])
        site.clock.advance(40)
        #expect(try Self.statuses(app) == ["successful"])
        site.clock.advance(15)
        #expect(try Self.statuses(app) == ["outdated"])
        #expect(source.statusComputations == 2)
    }

    /// A pid that existed and is gone.
    static func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    func deadRunnersBuild(_ site: Site) throws -> BuildID {
        let created = try site.writer.createBuild(
            NewBuild(
                job: "a", status: .created, trigger: "cli", reason: "r", configSnapshot: "{}",
                configHash: "h"))
        let runner = RunnerIdentity(
            host: RunnerIdentity.current().host, pid: try Self.deadPid(), processStart: 5)
        try site.writer.markStarted(created.id, runner: runner)
        return created.id
    }

    @Test func aBuildWhoseRunnerDiedIsReapedAndShowsFailed() throws {
        let site = try Site([testJob("a")])
        let id = try deadRunnersBuild(site)
        let app = site.app(site.source())
        #expect(try Self.statuses(app) == ["failed"])
        let build = Self.get(app, "/api/builds/\(id)")
        #expect(build.contains("\"status\":\"failed\""))
        #expect(build.contains("\"failure_kind\":\"runner_died\""))
        #expect(site.logged.isEmpty)
    }

    @Test func withoutAReaperTheBuildStaysRunning() throws {
        let site = try Site([testJob("a")])
        _ = try deadRunnersBuild(site)
        let app = site.app(site.source(reaping: false))
        #expect(try Self.statuses(app) == ["running"])
    }

    @Test func aStoreThatCannotBeWrittenIsReportedOnce() throws {
        let site = try Site([testJob("a")])
        let id = try deadRunnersBuild(site)
        chmod(site.folder.databasePath, 0o444)
        defer { chmod(site.folder.databasePath, 0o644) }
        let source = site.source()
        source.reapInterval = .zero
        let app = site.app(source)
        #expect(try Self.statuses(app) == ["running"])
        #expect(try Self.statuses(app) == ["running"])
        #expect(
            site.logged == [
                "warning: the runner of running build #\(id) died; the store is not writable, so it still shows as running"
            ])
    }

    @Test func theBuildListPagesWithAnOffset() throws {
        let site = try Site([testJob("a"), testJob("b")])
        for index in 1...60 { try site.build(index % 4 == 0 ? "b" : "a", .successful) }
        // a's builds: 45 of them, ids not divisible by 4, newest first.
        let ids = (1...60).filter { $0 % 4 != 0 }.reversed().map { $0 }
        let query = BuildQuery(job: "a", limit: 3, offset: 2)
        #expect(try site.reader.builds(query).map(\.id) == ids[2..<5].map { BuildID($0) })
        let app = site.app(site.source())
        for (page, expected, older) in [
            (1, Array(ids[0..<25]), true), (2, Array(ids[25..<45]), false), (3, [], false),
        ] {
            let html = Self.get(app, "/jobs/a", query: ["page": "\(page)"])
            let shown = html.components(separatedBy: "<tr><td><a href=\"/builds/").dropFirst()
                .map { Int($0.prefix { $0.isNumber }) ?? 0 }
            #expect(shown == expected, "page \(page)")
            #expect(html.contains("page=\(page + 1)\">older →</a>") == older, "page \(page)")
        }
    }

    @Test func aStartedChildsStderrFileHasNoNameInTheTemporaryFolder() throws {
        let launcher = WebBuildLauncher(executable: "/bin/sh", baseArguments: [], log: { _ in })
        let child = try launcher.start(["-c", "echo said >&2; sleep 0.3; echo more >&2; exit 3"])
        let prefix = "jcrun-web-\(getpid())-"
        let folder = NSTemporaryDirectory()
        let named = { (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] }
        #expect(!named().contains { $0.hasPrefix(prefix) })
        let deadline = Date().addingTimeInterval(10)
        while child.ended == nil && Date() < deadline { usleep(20_000) }
        let ended = try #require(child.ended)
        #expect(ended.code == "exit 3")
        #expect(ended.stderr == "said\nmore\n")
        #expect(!named().contains { $0.hasPrefix(prefix) })
    }
}
