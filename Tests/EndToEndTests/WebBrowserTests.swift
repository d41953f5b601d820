import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The page in a real browser: headless Chromium loads the jobs page, then a
/// running build's page, whose script must follow the progress to 100% and
/// the build to its end. Skipped when Chromium is not installed
/// (`scripts/setup` installs it).
@Suite(.serialized)
struct WebBrowserTests {
    static let chromium = [
        "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
    ]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Waits for the file `go` before counting, so the page is surely open
    /// while the build runs; groups make a tree of bars.
    static let jobs = """
        jobs:
          - id: progress
            title: "Count to twenty"
            command: |
              while [ ! -e go ]; do sleep 0.05; done
              for i in $(seq 1 20); do
                echo "@progress $i/20 pages -- page $i of 20"
                echo "@progress $(( (i + 1) / 2 ))/10 images :: thumbnails -- image $(( (i + 1) / 2 ))"
                echo "fetched page $i"
                sleep 0.05
              done
              echo "<script>alert('x')</script>"
              echo "@retval counted"
          - id: report
            command: "echo report"
            dependencies: [progress]

        """

    /// Runs Chromium headless with `arguments`; its stdout.
    static func browse(_ arguments: [String], profile: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium ?? "chromium")
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--hide-scrollbars",
                "--user-data-dir=\(profile.path)",
            ] + arguments
        process.standardError = FileHandle.nullDevice
        return process
    }

    /// Ends the browser if it is still running after two minutes, so a hung
    /// Chromium fails the test instead of stalling the suite.
    static func watch(_ process: Process) {
        DispatchQueue.global().asyncAfter(deadline: .now() + 120) {
            if process.isRunning { process.terminate() }
        }
    }

    static func run(_ arguments: [String], profile: URL) throws -> String {
        let process = try browse(arguments, profile: profile)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        watch(process)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(.enabled(if: chromium != nil, "chromium is not installed; run scripts/setup"))
    func aBuildStartedFromThePageIsFollowedToCompletionInTheBrowser() throws {
        let project = try WebProject()
        defer { project.remove() }
        try Self.jobs.write(
            to: project.dir.appendingPathComponent("jobs.d/web.yaml"), atomically: true,
            encoding: .utf8)
        let profile = project.dir.appendingPathComponent("chromium-profile")
        let server = try WebServerProcess(project: project.dir)

        // The jobs page, as the browser sees it.
        let jobsPage = try Self.run(["--dump-dom", server.address], profile: profile)
        #expect(jobsPage.contains("<a href=\"/jobs/progress\">progress</a>"))
        #expect(jobsPage.contains("<span class=\"badge s-not-built\">not built</span>"))

        // Start the build with the page's own form and token.
        let started = try server.post(
            "/jobs/progress/build", form: "csrf=\(try server.csrfToken())")
        #expect(started.status == 303)
        let location = try #require(started.headers["location"])
        #expect(location.hasPrefix("/builds/"))
        let build = String(location.dropFirst("/builds/".count))

        // Open the build page while it runs; once its script polls, let the job count.
        let dom = project.dir.appendingPathComponent("build-dom.html")
        FileManager.default.createFile(atPath: dom.path, contents: nil)
        let browser = try Self.browse(
            ["--virtual-time-budget=3600000", "--dump-dom", server.address + "builds/" + build],
            profile: profile)
        browser.standardOutput = try FileHandle(forWritingTo: dom)
        try browser.run()
        Self.watch(browser)
        let polling = "GET /api/builds/\(build)/progress 200"
        var waited = 0
        while !server.stderrText.contains(polling) && waited < 600 {
            usleep(100_000)
            waited += 1
        }
        #expect(server.stderrText.contains(polling), "the build page's script never polled")
        FileManager.default.createFile(
            atPath: project.dir.appendingPathComponent("go").path, contents: nil)
        browser.waitUntilExit()

        // What the script drew: every bar full, the build finished, the log escaped.
        let html = try String(contentsOf: dom, encoding: .utf8)
        #expect(html.contains("<span class=\"pfig\">20/20 · 100%</span>"))
        #expect(
            html.contains(
                "<span class=\"pname\">thumbnails</span><progress max=\"100\" value=\"100\"></progress>"
            ))
        #expect(
            html.contains(
                "<span id=\"status\"><span class=\"badge s-successful\">successful</span></span>"))
        #expect(!html.contains("data-live-build"), "the script did not see the build finish")
        #expect(html.contains("<td id=\"f-trigger\">web</td>"), "stored as started by the page")
        #expect(html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"))
        #expect(!html.contains("<script>alert"))

        // A screenshot of the finished build page, kept in the test's folder.
        let shot = FileManager.default.temporaryDirectory.appendingPathComponent(
            "jcrun-web-build-\(build)-\(getpid()).png")
        _ = try Self.run(
            [
                "--screenshot=\(shot.path)", "--window-size=1200,900",
                server.address + "builds/" + build,
            ], profile: profile)
        let png = try Data(contentsOf: shot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        print("web browser test: screenshot at \(shot.path)")
        #expect(server.stop().status == 0)
    }
}
