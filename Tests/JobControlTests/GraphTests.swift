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
            job.dependencySources[dependency] = SourceLocation(
                file: "g.yaml", line: line, column: 1)
        }
        return job
    }
    return JobGraph(jobs: jobs)
}

@Test func orderPutsDependenciesFirstAndBreaksTiesById() {
    let jobs = graph([
        "report": ["merge", "crawl"], "merge": ["crawl"], "zeta": [], "crawl": [], "alpha": [],
    ])
    #expect(jobs.order == ["alpha", "crawl", "merge", "report", "zeta"])
}

@Test func orderDoesNotDependOnInputOrder() {
    let a = graph(["b": ["a"], "a": [], "c": []])
    let b = graph(["c": [], "a": [], "b": ["a"]])
    #expect(a.order == b.order)
    #expect(a.order == ["a", "b", "c"])
}

@Test func dependenciesAndDependentsAreDirectAndSorted() {
    let jobs = graph([
        "report": ["merge", "crawl"], "merge": ["crawl"], "crawl": [], "other": ["crawl"],
    ])
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
    #expect(
        error.lines == [
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
    let jobs = graph([
        "report": ["merge", "crawl"], "merge": ["crawl"], "crawl": ["setup"], "setup": [],
    ])
    #expect(
        jobs.renderText(root: nil, reverse: false) == """
            report
            ├── crawl
            │   └── setup
            └── merge
                └── crawl (see above)

            """)
    #expect(
        jobs.renderText(root: "crawl", reverse: true) == """
            crawl
            ├── merge
            │   └── report
            └── report

            """)
}

@Test func dotRenderingDrawsEdgesFromDependencyToDependent() {
    let jobs = graph(["b": ["a"], "a": [], "c": ["b"]])
    #expect(
        jobs.renderDot(root: "b", reverse: false) == """
            digraph jobs {
                rankdir=LR;
                "a";
                "b";
                "a" -> "b";
            }

            """)
}

/// A chain 30,000 deep (a tester's `jcrun graph c29999` overflowed the stack
/// when the tree was drawn recursively) draws every level, both ways; levels
/// past the 16th keep the indentation and show their depth.
@Test func aVeryDeepChainDrawsWithoutRecursion() {
    let count = 30_000
    let jobs = (0..<count).map { number in
        Job(
            id: "c\(number)", command: .shell("true"),
            dependencies: number == 0 ? [] : ["c\(number - 1)"])
    }
    let chain = JobGraph(jobs: jobs)
    let lines = chain.renderText(root: "c29999", reverse: false).split(separator: "\n")
    #expect(lines.count == count)
    #expect(lines[0] == "c29999")
    #expect(lines[1] == "└── c29998")
    let indent = String(repeating: " ", count: 15 * 4)
    #expect(lines[17] == indent + "└── [depth 17] c29982")
    #expect(lines[count - 1] == indent + "└── [depth 29999] c0")
    let reverse = chain.renderText(root: "c0", reverse: true).split(separator: "\n")
    #expect(reverse.count == count)
    #expect(reverse[count - 1] == indent + "└── [depth 29999] c29999")
}

/// Cycles that share no job are all reported, each once (a tester's file
/// with `a → a` and `b → c → b` showed only the first).
@Test func separateCyclesAreAllReported() {
    let graph = JobGraph(jobs: [
        testJob("a", deps: ["a"]), testJob("b", deps: ["c"]), testJob("c", deps: ["b"]),
        testJob("d", deps: ["b", "c"]), testJob("e", deps: ["f"]), testJob("f", deps: ["e", "b"]),
    ])
    #expect(graph.findCycles(limit: 20) == [["a", "a"], ["b", "c", "b"], ["e", "f", "e"]])
    #expect(graph.findCycles(limit: 2).count == 2)
    #expect(graph.findCycle() == ["a", "a"])
    #expect(graph.cycleErrors(limit: 20).count == 3)
}
