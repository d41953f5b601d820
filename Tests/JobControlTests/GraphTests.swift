import Foundation
import Testing
@testable import JobControl

/// Jobs from `id: dependencies` pairs, each dependency written at `g.yaml:LINE:1`.
private func graph(_ edges: KeyValuePairs<String, [String]>) -> JobGraph {
    var line = 0
    let jobs = edges.map { id, dependencies -> Job in
        var job = Job(id: id, command: .shell("true"), dependencies: dependencies.sorted())
        for dependency in dependencies {
            line += 1
            job.dependencySources[dependency] = SourceLocation(file: "g.yaml", line: line, column: 1)
        }
        return job
    }
    return JobGraph(jobs: jobs)
}

@Test func orderPutsDependenciesFirstAndBreaksTiesById() {
    let jobs = graph(["report": ["merge", "crawl"], "merge": ["crawl"], "zeta": [], "crawl": [], "alpha": []])
    #expect(jobs.order == ["alpha", "crawl", "merge", "report", "zeta"])
}

@Test func orderDoesNotDependOnInputOrder() {
    let a = graph(["b": ["a"], "a": [], "c": []])
    let b = graph(["c": [], "a": [], "b": ["a"]])
    #expect(a.order == b.order)
    #expect(a.order == ["a", "b", "c"])
}

@Test func dependenciesAndDependentsAreDirectAndSorted() {
    let jobs = graph(["report": ["merge", "crawl"], "merge": ["crawl"], "crawl": [], "other": ["crawl"]])
    #expect(jobs.dependencies(of: "report") == ["crawl", "merge"])
    #expect(jobs.dependents(of: "crawl") == ["merge", "other", "report"])
    #expect(jobs.dependents(of: "report") == [])
    #expect(jobs.dependencies(of: "nope") == [])
}

@Test func closuresGoBothWaysInBuildOrder() {
    let jobs = graph(["d": ["c"], "c": ["b", "a"], "b": ["a"], "a": [], "x": []])
    #expect(jobs.transitiveDependencies(of: "d") == ["a", "b", "c"])
    #expect(jobs.transitiveDependents(of: "a") == ["b", "c", "d"])
    #expect(jobs.transitiveDependents(of: "x") == [])
}

@Test func aCycleIsReportedWithItsWholePathAndEveryEdge() throws {
    let jobs = graph(["report": ["merge"], "merge": ["crawl"], "crawl": ["report"], "ok": []])
    #expect(jobs.findCycle() == ["crawl", "report", "merge", "crawl"])
    let error = try #require(jobs.cycleError())
    #expect(error.lines == [
        "jcrun: error: g.yaml:3:1: jobs depend on each other in a circle: crawl → report → merge → crawl",
        "  g.yaml:3:1: crawl needs report",
        "  g.yaml:1:1: report needs merge",
        "  g.yaml:2:1: merge needs crawl",
    ])
}

@Test func aJobThatNeedsItselfIsACycle() {
    #expect(graph(["a": ["a"]]).findCycle() == ["a", "a"])
    #expect(graph(["a": [], "b": ["a"]]).findCycle() == nil)
}

@Test func textRenderingShowsTreesAndSharedJobsOnce() {
    let jobs = graph(["report": ["merge", "crawl"], "merge": ["crawl"], "crawl": ["setup"], "setup": []])
    #expect(jobs.renderText(root: nil, reverse: false) == """
        report
        ├── crawl
        │   └── setup
        └── merge
            └── crawl (see above)

        """)
    #expect(jobs.renderText(root: "crawl", reverse: true) == """
        crawl
        ├── merge
        │   └── report
        └── report

        """)
}

@Test func dotRenderingDrawsEdgesFromDependencyToDependent() {
    let jobs = graph(["b": ["a"], "a": [], "c": ["b"]])
    #expect(jobs.renderDot(root: "b", reverse: false) == """
        digraph jobs {
            rankdir=LR;
            "a";
            "b";
            "a" -> "b";
        }

        """)
}

@Test func definitionHashCoversOnlyWhatOutdatesAJob() {
    let base = Job(
        id: "x", command: .argv([.text("run"), .retval("a")]), env: [.init(name: "T", value: .secret("tok"))],
        dependencies: ["a"])
    var retitled = base
    retitled.title = "new title"
    retitled.timeout = 60
    #expect(base.definitionHash == retitled.definitionHash)
    #expect(base.definitionHash.count == 16)
    var changed = base
    changed.workdir = "sub"
    changed.args = [.text("more")]
    #expect(base.definitionHash != changed.definitionHash)
    #expect(changed.changedFields(from: base.snapshotJSON()) == ["args", "workdir"])
    #expect(retitled.changedFields(from: base.snapshotJSON()) == [])
}

@Test func definitionHashIsStableAcrossRuns() {
    // Fixed value: a change here means every stored job becomes outdated.
    let job = Job(id: "x", command: .shell("make"), env: [.init(name: "A", value: .text("1"))])
    #expect(job.snapshotJSON().hasPrefix("{\"args\":[],\"cleanup\":null,\"command\":{\"shell\":\"make\"}"))
    #expect(job.definitionHash == fnv1a("{\"args\":[],\"command\":{\"shell\":\"make\"},\"dependencies\":[],\"env\":{\"A\":\"1\"},\"workdir\":\".\"}"))
}

@Test func snapshotsNeverHoldSecretValues() {
    let job = Job(id: "x", command: .shell("run"), env: [.init(name: "T", value: .secret("api_token"))])
    #expect(job.snapshotJSON().contains("\"T\":{\"!secret\":\"api_token\"}"))
}

private func fnv1a(_ text: String) -> String {
    var hash: UInt64 = 14_695_981_039_346_656_037
    for byte in text.utf8 {
        hash = (hash ^ UInt64(byte)) &* 1_099_511_628_211
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
