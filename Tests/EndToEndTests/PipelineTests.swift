import Foundation
import Testing

/// The example pipeline of `jobs.d/` and `scripts/`, run by the built jcrun on
/// the committed fixture (`Fixtures/pipeline/`: 30 made-up packages), with the
/// numbers the report must show in `Fixtures/pipeline/expected.json`.
///
/// Each test copies `jobs.d/`, `scripts/` and the fixture's `jcrun.yaml` into a
/// fresh temporary project, with the fixture's files in `fixture data/` (a
/// folder name with a space), and keeps its state in that project.
@Suite(
    .serialized,
    .bug(id: 7))
struct PipelineTests {
    /// Every job that `build-outdated` builds; `publish` is protected.
    static let builtJobs: [String] = [
        "inventory", "changelogs_libraries", "changelogs_development",
        "changelogs_interpreters", "changelogs_utilities", "changelogs_administration",
        "changelogs_other", "licenses", "report",
    ]
    /// The jobs with `max_age: 0`, which check their inputs on every run.
    static let watchingJobs: [String] = builtJobs.filter { $0 != "report" }
    static let groups: [String] = [
        "libraries", "development", "interpreters", "utilities", "administration", "other",
    ]

    @Test func aFirstRunBuildsEveryJobAndTheReportShowsTheFixturesNumbers() throws {
        let project = try PipelineProject()
        let expected = try project.expected()

        let run = try project.jcrun(["build-outdated", "-j", "2"])
        #expect(run.status == 0, "stderr: \(run.stderr)")

        // One successful build of every job but the protected publish.
        for job in Self.builtJobs {
            let builds = try project.builds(of: job)
            #expect(builds.count == 1, "\(job): \(builds)")
            let build = try #require(builds.first)
            for key in [
                "id", "job", "status", "failure_kind", "exit_code", "attempt", "retval",
                "created_at", "started_at", "finished_at", "duration_s",
            ] {
                #expect(build[key] != nil, "\(job): a build has '\(key)'")
            }
            #expect(build["v"] as? Int == 1)
            #expect(build["job"] as? String == job)
            #expect(build["status"] as? String == "successful")
        }
        #expect(try project.builds(of: "publish").isEmpty)

        // show-build names the report's path as its return value.
        let report = try project.showBuild("report")
        #expect(report["v"] as? Int == 1)
        #expect(report["job"] as? String == "report")
        #expect(report["status"] as? String == "successful")
        #expect(report["retval"] as? String == "out/report.html")

        // The return values carry the fixture's numbers.
        let inventory = try project.retval(of: "inventory")
        #expect(inventory["packages"] as? Int == expected["packages"] as? Int)
        #expect(inventory["table"] as? String == "out/inventory.tsv")
        let groups = try #require(expected["groups"] as? [String: Any])
        for group in Self.groups {
            let value = try project.retval(of: "changelogs_\(group)")
            let want = try #require(groups[group] as? [String: Any])
            for key in ["packages", "with_changelog", "uploads", "maintainers"] {
                #expect(value[key] as? Int == want[key] as? Int, "\(group).\(key)")
            }
            for key in ["first", "latest"] {
                #expect(value[key] as? String == want[key] as? String, "\(group).\(key)")
            }
            #expect(value["urgencies"] as? [String: Int] == want["urgencies"] as? [String: Int])
        }
        let licenses = try project.retval(of: "licenses")
        let wantLicenses = try #require(expected["licenses"] as? [String: Any])
        for key in ["packages", "machine_readable", "not_machine_readable", "missing", "licenses"] {
            #expect(licenses[key] as? Int == wantLicenses[key] as? Int, "licenses.\(key)")
        }
        #expect(licenses["top"] as? String == wantLicenses["top"] as? String)

        // The Markdown report shows the same numbers, in the expected order.
        let markdown = try project.read("out/report.md")
        let total = try #require(expected["total_installed_kib"] as? Int)
        let uploads = try #require(expected["uploads"] as? Int)
        #expect(
            markdown.contains(
                "\(inventory["packages"] as? Int ?? -1) packages installed, \(total) KiB in all; "
                    + "\(uploads) uploads in their changelogs."))
        for group in Self.groups {
            let want = try #require(groups[group] as? [String: Any])
            let cells: [Any] = [
                group, want["packages"]!, want["with_changelog"]!, want["uploads"]!,
                want["first"]!, want["latest"]!, want["maintainers"]!,
            ]
            #expect(markdown.contains("| " + cells.map { "\($0)" }.joined(separator: " | ") + " |"))
        }
        let tables = MarkdownTables(markdown)
        #expect(
            tables.firstColumn(after: "## Largest packages") == expected["largest"] as? [String])
        #expect(
            tables.firstColumn(after: "## Most recently updated")
                == expected["most_recent"] as? [String])
        #expect(
            tables.firstColumn(after: "## Least recently updated")
                == expected["least_recent"] as? [String])
        let counts = try #require(wantLicenses["counts"] as? [String: Int])
        let licenseRows = tables.rows(after: "## Licenses")
        #expect(licenseRows.count == counts.count)
        for row in licenseRows {
            #expect(counts[row[0]].map(String.init) == row[1], "license \(row[0])")
        }
        let maintainers = try #require(expected["top_maintainers"] as? [[String: Any]])
        let maintainerRows = tables.rows(after: "## Maintainers with the most packages")
        for (index, want) in maintainers.enumerated() {
            let name = try #require(want["maintainer"] as? String)
            let escaped = name.replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
            #expect(maintainerRows[index] == [escaped, "\(want["packages"]!)"])
        }

        // The HTML report escapes what it got from the packages.
        let html = try project.read("out/report.html")
        #expect(html.contains("O&#39;Brien &amp; Sons &lt;obrien@fixture.example&gt;"))
        #expect(html.contains("Dan &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("<script"))

        // The protected publish job is refused without a terminal, and runs
        // when asked for by name with --allow-protected.
        let refused = try project.jcrun(["publish"])
        #expect(refused.status == 2)
        #expect(!project.exists("out/published/report.html"))
        let publish = try project.jcrun(["publish", "--allow-protected"])
        #expect(publish.status == 0, "stderr: \(publish.stderr)")
        #expect(try project.read("out/published/report.html") == html)
        #expect(try project.read("out/published/report.md") == markdown)
        let published = try project.retval(of: "publish")
        #expect(published["html"] as? String == "out/published/report.html")
    }

    @Test func aSecondRunWithNothingChangedOnlySkips() throws {
        let project = try PipelineProject()
        #expect(try project.jcrun(["build-outdated", "-j", "2"]).status == 0)
        let before = try project.buildIDs()

        let run = try project.jcrun(["build-outdated", "-j", "2"])
        #expect(run.status == 0, "stderr: \(run.stderr)")

        // The watching jobs each checked and skipped; nothing else ran.
        let new = try project.builds(after: before)
        #expect(Set(new.keys) == Set(Self.watchingJobs))
        for (job, status) in new { #expect(status == ["skipped"], "\(job)") }
    }

    /// After a run, the watching jobs are due again (`max_age: 0`), so
    /// `--check` exits 1 and names them `outdated`; `report` would be built
    /// only if one of them brings a new value: `status` keeps its label and
    /// `--check` lists it as `conditional`, apart from what is outdated.
    @Test func afterARunOnlyTheWatchingJobsAreOutdatedAndTheReportIsConditional() throws {
        let project = try PipelineProject()
        #expect(try project.jcrun(["build-outdated", "-j", "2"]).status == 0)
        #expect(try project.jcrun(["publish", "--yes", "-q"]).status == 0)

        let status = try project.jcrun(["status", "--json"])
        var labels: [String: String] = [:]
        for object in try TestProject.jsonLines(status.stdout) {
            labels[object["job"] as? String ?? ""] = object["status"] as? String
        }
        for job in Self.watchingJobs { #expect(labels[job] == "outdated", "\(job)") }
        #expect(labels["report"] == "successful")
        #expect(labels["publish"] == "successful")

        let check = try project.jcrun(["build-outdated", "--check"])
        #expect(check.status == 1)
        let deps = Self.watchingJobs.sorted().map { "'\($0)'" }.joined(separator: ", ")
        #expect(
            check.stderr == """
                outdated: inventory: last check is older than max_age 0s
                outdated: changelogs_administration: dependency 'inventory' is rebuilt first
                outdated: changelogs_development: dependency 'inventory' is rebuilt first
                outdated: changelogs_interpreters: dependency 'inventory' is rebuilt first
                outdated: changelogs_libraries: dependency 'inventory' is rebuilt first
                outdated: changelogs_other: dependency 'inventory' is rebuilt first
                outdated: changelogs_utilities: dependency 'inventory' is rebuilt first
                outdated: licenses: dependency 'inventory' is rebuilt first
                conditional: report: dependency 'changelogs_administration' is rebuilt first \
                (up to date if \(deps) end skipped)

                """)
        #expect(
            try project.jcrun(["why", "report"]).stdout == """
                report: dependency 'changelogs_administration' is rebuilt first \
                (up to date if \(deps) end skipped)
                changelogs_administration: dependency 'inventory' is rebuilt first
                inventory: last check is older than max_age 0s

                """)
        let plan = try project.jcrun(["build-outdated", "-n"]).stdout
        #expect(
            plan.hasSuffix(
                "\npublish: protected and outdated; not built unless named"
                    + " (up to date if 'report' ends skipped)\n"), "\(plan)")
    }

    @Test func aDeletedOutputIsWrittenAgainInsteadOfSkipped() throws {
        let project = try PipelineProject()
        #expect(try project.jcrun(["build-outdated", "-j", "2"]).status == 0)
        let before = try project.buildIDs()
        try FileManager.default.removeItem(
            at: project.root.appendingPathComponent("out/licenses.tsv"))

        let run = try project.jcrun(["build-outdated", "-j", "2"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let new = try project.builds(after: before)
        #expect(new["licenses"] == ["successful"])
        #expect(new["report"] == ["successful"])
        for job in Self.watchingJobs where job != "licenses" {
            #expect(new[job] == ["skipped"], "\(job)")
        }
        #expect(
            FileManager.default.fileExists(
                atPath: project.root.appendingPathComponent("out/licenses.tsv").path))
    }

    @Test func changingOneChangelogRebuildsItsGroupAndTheReportOnly() throws {
        let project = try PipelineProject()
        #expect(try project.jcrun(["build-outdated", "-j", "2"]).status == 0)
        let before = try project.buildIDs()

        // grep-fixture (utilities) now has nano-fixture's changelog: one upload
        // by Boris at medium urgency instead of two by Anna at low urgency.
        let doc = project.root.appendingPathComponent("fixture data/usr/share/doc")
        let grep = doc.appendingPathComponent("grep-fixture/changelog.Debian.gz")
        try FileManager.default.removeItem(at: grep)
        try FileManager.default.copyItem(
            at: doc.appendingPathComponent("nano-fixture/changelog.Debian.gz"), to: grep)

        let run = try project.jcrun(["build-outdated", "-j", "2"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let new = try project.builds(after: before)
        for job in Self.watchingJobs where job != "changelogs_utilities" {
            #expect(new[job] == ["skipped"], "\(job)")
        }
        #expect(new["changelogs_utilities"] == ["successful"])
        #expect(new["report"] == ["successful"])

        // utilities: 10 - 2 + 1 uploads; Anna still uploads for coreutils-fixture.
        let utilities = try project.retval(of: "changelogs_utilities")
        #expect(utilities["uploads"] as? Int == 9)
        #expect(utilities["maintainers"] as? Int == 5)
        #expect(utilities["urgencies"] as? [String: Int] == ["high": 1, "low": 2, "medium": 6])
        #expect(try project.read("out/report.md").contains("| utilities | 5 | 5 | 9 |"))
    }

    @Test func aMissingStatusFileFailsTheInventoryWithAClearMessage() throws {
        let project = try PipelineProject()
        let settings = try project.read("jcrun.yaml").replacingOccurrences(
            of: "fixture data/var/lib/dpkg/status", with: "fixture data/nowhere/status")
        try settings.write(
            to: project.root.appendingPathComponent("jcrun.yaml"), atomically: true, encoding: .utf8
        )

        let run = try project.jcrun(["build-outdated", "-j", "2"])
        #expect(run.status == 1)
        #expect(
            run.stderr.contains(
                "inventory: the dpkg status file 'fixture data/nowhere/status' does not exist"
                    + " (set vars.dpkg_status in jcrun.yaml)"))
        let inventory = try project.showBuild("inventory")
        #expect(inventory["status"] as? String == "failed")
        #expect(inventory["failure_kind"] as? String == "exit")
        #expect(inventory["exit_code"] as? Int == 1)
        #expect(try project.builds(of: "report").isEmpty)
    }
}

/// A temporary project folder holding the pipeline and the fixture, removed
/// when the test is done with it.
final class PipelineProject {
    let root: URL
    let store: URL

    /// The repository: three folders above this file.
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixture = repository.appendingPathComponent("Tests/EndToEndTests/Fixtures/pipeline")

    init() throws {
        let files = FileManager.default
        root = files.temporaryDirectory.appendingPathComponent(
            "jcrun-pipeline-\(UUID().uuidString)")
        store = root.appendingPathComponent(".jcrun/state.db")
        try files.createDirectory(at: root, withIntermediateDirectories: true)
        for name in ["jobs.d", "scripts"] {
            try files.copyItem(
                at: Self.repository.appendingPathComponent(name),
                to: root.appendingPathComponent(name))
        }
        try files.copyItem(
            at: Self.fixture.appendingPathComponent("jcrun.yaml"),
            to: root.appendingPathComponent("jcrun.yaml"))
        try files.copyItem(
            at: Self.fixture.appendingPathComponent("root"),
            to: root.appendingPathComponent("fixture data"))
        for script in try files.contentsOfDirectory(
            atPath: root.appendingPathComponent("scripts").path)
        where script.hasSuffix(".sh") {
            try files.setAttributes(
                [.posixPermissions: 0o755],
                ofItemAtPath: root.appendingPathComponent("scripts/\(script)").path)
        }
    }

    deinit { try? FileManager.default.removeItem(at: root) }  // a leftover temp folder is harmless

    /// Runs jcrun in the project with its own store.
    func jcrun(_ arguments: [String]) throws -> Jcrun.Result {
        try Jcrun.run(["--storage", store.path] + arguments, in: root)
    }

    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path)
    }

    func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    func expected() throws -> [String: Any] {
        let data = try Data(contentsOf: Self.fixture.appendingPathComponent("expected.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// `jcrun builds JOB --json`: the job's builds, whatever their order.
    func builds(of job: String) throws -> [[String: Any]] {
        let result = try jcrun(["builds", job, "--json"])
        #expect(result.status == 0, "builds \(job): \(result.stderr)")
        return try JSONObjects.decode(result.stdout, listKey: "builds")
    }

    /// The ids of every stored build of the built jobs.
    func buildIDs() throws -> Set<Int> {
        var ids: Set<Int> = []
        for job in PipelineTests.builtJobs {
            for build in try builds(of: job) { if let id = build["id"] as? Int { ids.insert(id) } }
        }
        return ids
    }

    /// The statuses of the builds made since `before`, by job.
    func builds(after before: Set<Int>) throws -> [String: [String]] {
        var statuses: [String: [String]] = [:]
        for job in PipelineTests.builtJobs {
            for build in try builds(of: job) {
                guard let id = build["id"] as? Int, !before.contains(id) else { continue }
                statuses[job, default: []].append(build["status"] as? String ?? "?")
            }
        }
        return statuses
    }

    /// `jcrun show-build JOB --json`: the job's latest build.
    func showBuild(_ job: String) throws -> [String: Any] {
        let result = try jcrun(["show-build", job, "--json"])
        #expect(result.status == 0, "show-build \(job): \(result.stderr)")
        return try #require(try JSONObjects.decode(result.stdout, listKey: "builds").first)
    }

    /// The JSON return value of the job's latest build.
    func retval(of job: String) throws -> [String: Any] {
        let text = try #require(try showBuild(job)["retval"] as? String)
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(value as? [String: Any])
    }
}

/// Reads JSON output that is one object, an array of objects, an object with
/// a list under `listKey`, or one object per line.
enum JSONObjects {
    static func decode(_ text: String, listKey: String) throws -> [[String: Any]] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [] }
        if let whole = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) {
            if let list = whole as? [[String: Any]] { return list }
            if let object = whole as? [String: Any] {
                return object[listKey] as? [[String: Any]] ?? [object]
            }
        }
        return try trimmed.split(separator: "\n").map { line in
            try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }
}

/// The tables of a Markdown report, found by the heading above them.
struct MarkdownTables {
    let lines: [Substring]

    init(_ text: String) { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }

    /// The cells of each body row of the first table after `heading`.
    func rows(after heading: String) -> [[String]] {
        guard let start = lines.firstIndex(where: { $0 == heading }) else { return [] }
        var rows: [[String]] = []
        var seenHeader = 0
        for line in lines[(start + 1)...] {
            if line.hasPrefix("## ") { break }
            guard line.hasPrefix("|") else { if seenHeader > 0 { break } else { continue } }
            seenHeader += 1
            if seenHeader <= 2 { continue }
            let cells = line.dropFirst().dropLast().components(separatedBy: " | ")
            rows.append(cells.map { $0.trimmingCharacters(in: .whitespaces) })
        }
        return rows
    }

    func firstColumn(after heading: String) -> [String] { rows(after: heading).map { $0[0] } }
}
