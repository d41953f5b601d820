import Foundation
import Testing

@testable import JobControl

/// The web page against hostile or odd input: form bodies Foundation would
/// trap on, non-canonical paths and ids, GET on POST-only routes, control
/// characters in logs, weak access tokens.
struct WebHardeningTests {
    typealias Site = WebAppTests.Site

    struct FormCase: CustomTestStringConvertible, Sendable {
        var body: String
        var fields: [String: String]
        var testDescription: String { "'\(body)'" }
    }

    static let formCases: [FormCase] = [
        FormCase(body: "csrf=abc&armed=1", fields: ["csrf": "abc", "armed": "1"]),
        FormCase(body: "a b", fields: ["a b": ""]),
        FormCase(body: "x=\"y\"", fields: ["x": "\"y\""]),
        FormCase(body: "x=%zz&y=%4", fields: ["x": "%zz", "y": "%4"]),
        FormCase(body: "x=a+b%20c%2B", fields: ["x": "a b c+"]),
        FormCase(body: "{\"csrf\": \"t\"}", fields: ["{\"csrf\": \"t\"}": ""]),
        FormCase(body: "x=%FF&&=v&k=1=2", fields: ["x": "\u{FFFD}", "": "v", "k": "1=2"]),
        FormCase(body: "x=1&x=2", fields: ["x": "2"]),
        FormCase(body: "", fields: [:]),
    ]

    @Test(arguments: formCases)
    func formBodiesDecodeWithoutTrapping(_ item: FormCase) {
        #expect(WebRequest(method: "POST", path: "/", body: Array(item.body.utf8)).form == item.fields)
    }

    @Test(arguments: ["a b", "x=\"y\"", "x=%zz", "{\"job\": \"crawl\"}"])
    func aMalformedPostBodyIsRefusedNotACrash(_ body: String) throws {
        let site = try Site()
        let response = site.app().respond(WebAppTests.post("/jobs/crawl/build", body: body))
        #expect(response.status == 403)
        #expect(response.text == "missing or wrong CSRF token; reload the page and try again\n")
    }

    struct PathCase: CustomTestStringConvertible, Sendable {
        var method = "GET"
        var path: String
        var query: [String: String] = [:]
        var status: Int
        var testDescription: String { "\(method) \(path) \(query) → \(status)" }
    }

    static let pathCases: [PathCase] = [
        PathCase(path: "/builds/1", status: 200),
        PathCase(path: "/builds/01", status: 404),
        PathCase(path: "/builds/+1", status: 404),
        PathCase(path: "/builds/#1", status: 404),
        PathCase(path: "/builds/1%00", status: 404),
        PathCase(path: "/builds/1/", status: 404),
        PathCase(path: "//builds/1", status: 404),
        PathCase(path: "/static/app.js/", status: 404),
        PathCase(path: "/jobs/crawl/", status: 404),
        PathCase(path: "/api/builds/abc", status: 404),
        PathCase(path: "/api/builds/01", status: 404),
        PathCase(path: "/api/builds/1/", status: 404),
        PathCase(path: "/api/builds/99999999999999999999", status: 404),
        PathCase(path: "/jobs/crawl", query: ["page": "2"], status: 200),
        PathCase(path: "/jobs/crawl", query: ["page": "-1"], status: 400),
        PathCase(path: "/jobs/crawl", query: ["page": "0"], status: 400),
        PathCase(path: "/jobs/crawl", query: ["page": "9223372036854775807"], status: 400),
        PathCase(path: "/jobs/crawl", query: ["page": "10001"], status: 400),
        PathCase(path: "/jobs/crawl/arm", status: 404),
        PathCase(path: "/jobs/publish/arm", status: 200),
        PathCase(path: "/jobs/publish/build", status: 405),
        PathCase(method: "HEAD", path: "/build-outdated", status: 405),
    ]

    @Test(arguments: pathCases)
    func onlyCanonicalPathsAndIdsAnswer(_ item: PathCase) throws {
        let site = try Site()
        var request = WebAppTests.get(item.path, query: item.query)
        request.method = item.method
        #expect(site.app().respond(request).status == item.status)
    }

    @Test func getOnAPostOnlyRouteSaysWhichMethodIsAllowed() throws {
        let site = try Site()
        let response = site.app().respond(WebAppTests.get("/build-outdated"))
        #expect(response.status == 405)
        #expect(response.headers.contains { $0 == ("Allow", "POST") })
        #expect(response.text == "method GET not allowed: /build-outdated takes POST\n")
        let put = site.app().respond(
            WebRequest(method: "PUT", path: "/", headers: ["host": "127.0.0.1"]))
        #expect(put.status == 405)
        #expect(put.headers.contains { $0 == ("Allow", "GET, HEAD, POST") })
    }

    @Test func aHugePageIsABadParameter() throws {
        let site = try Site()
        let response = site.app().respond(
            WebAppTests.get("/jobs/crawl", query: ["page": "-1"]))
        #expect(response.text.contains("parameter &#39;page&#39; expects a number from 1 to 10000, got &#39;-1&#39;"))
    }

    @Test func armingAnUnprotectedJobIsNotFound() throws {
        let site = try Site()
        let response = site.app().respond(WebAppTests.get("/jobs/crawl/arm"))
        #expect(response.status == 404)
        #expect(response.text.contains("<h1>crawl is not protected</h1>"))
        #expect(!response.text.contains("name=\"armed\""))
    }

    @Test func controlCharactersInALogShowAsPictures() throws {
        let site = try Site()
        try site.store.appendLogs([
            site.store.logLine(site.crawlBuild, 4, "\u{1}\u{1b}[1mbold\u{7f}\u{85}\tend", time: Date())
        ])
        let page = site.app().respond(WebAppTests.get("/builds/\(site.crawlBuild)")).text
        #expect(page.contains("<td class=\"text\">\u{2401}\u{241b}[1mbold\u{2421}\\x85\tend</td>"))
        #expect(!page.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" })
        // The stored line is untouched.
        let stored = try site.store.logs(LogQuery(build: site.crawlBuild))
        #expect(stored.last?.text == "\u{1}\u{1b}[1mbold\u{7f}\u{85}\tend")
    }

    @Test(arguments: [
        ("plain line", "plain line"), ("\u{1}\u{1b}[1mbold", "\\x01\\x1b[1mbold"),
        ("tab\tkept", "tab\tkept"), ("del\u{7f} c1\u{9b}", "del\\x7f c1\\x9b"),
        ("caf\u{e9} \u{a9}", "caf\u{e9} \u{a9}"), ("cr\r", "cr\\x0d"),
    ])
    func aLogTailShowsControlCharactersVisibly(_ raw: String, _ shown: String) {
        let tail = LogTail(limit: 2)
        tail.append(raw)
        #expect(tail.contents == [shown])
    }

    @Test(arguments: [
        ("0123456789abcdef", nil),
        ("short", "the token must be at least 16 characters"),
        (
            "0123456789abcdef;x", "the token must be printable ASCII without spaces, quotes, commas, semicolons or backslashes"
        ),
        (
            "0123456789 abcdef", "the token must be printable ASCII without spaces, quotes, commas, semicolons or backslashes"
        ),
    ] as [(String, String?)])
    func accessTokensAreCheckedOneWay(_ token: String, _ problem: String?) {
        #expect(WebSecurity.tokenProblem(token) == problem)
    }
}
