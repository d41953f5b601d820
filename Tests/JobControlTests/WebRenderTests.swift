import Foundation
import Testing

@testable import JobControl

/// The pieces the pages are made of: escaping, the graph layout, loopback
/// addresses, form bodies.
struct WebRenderTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a & b", "a &amp; b"),
        ("say \"hi\" it's", "say &quot;hi&quot; it&#39;s"),
        ("ünïcode ✓", "ünïcode ✓"),
    ])
    func escapingKeepsMarkupAsText(_ input: String, _ expected: String) {
        #expect(HTML.escape(input) == expected)
    }

    @Test(arguments: [
        ("tab\there", "tab\there"), ("line\nbreak", "line\nbreak"), ("esc\u{1b}[1m", "esc␛[1m"),
        ("del\u{7f}", "del\u{2421}"), ("c1\u{85}", "c1\\x85"), ("", ""),
    ])
    func escapingDrawsControlCharactersVisibly(_ input: String, _ expected: String) {
        #expect(HTML.escape(input) == expected)
    }

    /// `segment` encodes by hand (issue #9: the jobs page made 2,000 calls
    /// through Foundation): the same text as Foundation's encoder.
    @Test(arguments: [
        "plain", "a b", "100%", "a/b", "q?x#y", "ünï ✓", "x<y>&\"'", "~-._!$&'()*+,;=:@",
        "tab\t", "[a]{b}|c^d`e\\f", "", "R&D&copy",
    ])
    func aPathSegmentIsEncodedAsFoundationDoes(_ text: String) {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%&")
        #expect(HTML.segment(text) == text.addingPercentEncoding(withAllowedCharacters: allowed))
    }

    /// An id with `&name` links to itself, not to `R&D©` (a tester's finding).
    @Test func aJobLinkStandsInAnAttributeAsItIs() {
        #expect(HTML.jobLink("R&D&copy") == "<a href=\"/jobs/R%26D%26copy\">R&amp;D&amp;copy</a>")
    }

    @Test func theGraphPutsEachJobOneColumnRightOfItsDeepestDependency() {
        let jobs = testJobSet([
            testJob("a"), testJob("b"), testJob("c", deps: ["a"]), testJob("d", deps: ["b", "c"]),
            testJob("e", deps: ["b"]),
        ])
        #expect(GraphSVG.layers(jobs) == [["a", "b"], ["c", "e"], ["d"]])
    }

    @Test func theGraphLinksEachBoxAndEscapesIds() {
        let jobs = testJobSet([testJob("x<y"), testJob("z", deps: ["x<y"])])
        let svg = GraphSVG(jobs: jobs, labels: ["z": .failed]).svg
        #expect(svg.contains("<a href=\"/jobs/x%3Cy\"><g class=\"node s-not-built\">"))
        #expect(svg.contains(">x&lt;y</text>"))
        #expect(svg.contains("<g class=\"node s-failed\">"))
        #expect(svg.components(separatedBy: "marker-end=").count == 2)
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.1.2.3", true), ("::1", true), ("0.0.0.0", false),
        ("192.168.1.5", false),
        ("::", false), ("localhost", false),
    ])
    func onlyLoopbackAddressesAreLoopback(_ address: String, _ expected: Bool) {
        #expect(WebListener.isLoopback(address) == expected)
    }

    @Test(arguments: [
        ("127.0.0.1:5050", true), ("localhost:80", true), ("[::1]:5050", true), ("localhost", true),
        ("LOCALHOST:5050", true), ("LocalHost", true),
        ("evil.example:5050", false), ("10.0.0.1", false),
    ])
    func hostHeadersNameLoopbackOrNot(_ host: String, _ expected: Bool) {
        #expect(WebSecurity.isLoopbackHost(host) == expected)
    }

    @Test func formBodiesAreDecoded() {
        let request = WebRequest(
            method: "POST", path: "/", body: Array("csrf=ab%2Fc&armed=1&note=two+words".utf8))
        #expect(request.form == ["csrf": "ab/c", "armed": "1", "note": "two words"])
    }

    @Test func anUnreportedParentShowsTheSumOfItsChildren() {
        let now = Date()
        let progress = WebProgress([
            ProgressRecord(
                build: 1, group: ["a"], current: 2, total: 4, status: nil, updatedAt: now),
            ProgressRecord(
                build: 1, group: ["b"], current: 4, total: 4, status: "done", updatedAt: now),
        ])
        #expect(progress.nodes.map(\.name) == ["Total", "a", "b"])
        #expect(progress.nodes.map(\.current) == [6, 2, 4])
        #expect(progress.nodes.map(WebProgress.percent) == [75, 50, 100])
    }
}
