import Foundation
import Testing

@testable import Jinja

#if canImport(Glibc)
    import Glibc
#endif

/// Rendering speed on the shape jcrun needs: 10,000 jobs written by a
/// `{% for %}` loop calling an imported macro, across 20 files.
///
/// Prints timings (CPU time of this thread, so a busy machine does not
/// inflate them), asserts nothing about them. Run with
/// `JCRUN_BENCH=1 swift test -c release --filter JinjaBenchmarks`.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["JCRUN_BENCH"] == "1"))
struct JinjaBenchmarks {
    static let macros = """
        {% macro job(name, url, deps=[]) %}
          - id: crawl_{{ name }}
            title: "Crawl {{ url }}"
            command: ["scripts/crawl.sh", {{ url|tojson }}]
            {%- if deps %}
            dependencies: [{{ deps|join(', ') }}]
            {%- endif %}
            env:
              STORAGE: "{{ storage }}/crawled_{{ name|lower }}"
        {% endmacro %}

        """

    static func files() -> [String: String] {
        var files = ["_macros.j2": macros]
        for n in 0..<20 {
            files["sites\(n).yaml"] = """
                {% from '_macros.j2' import job %}
                jobs:
                {% for i in range(500) %}
                {{ job('site_\(n)_' ~ i, 'http://example.com/' ~ i, deps=['setup'] if loop.first else []) }}
                {%- endfor %}

                """
        }
        return files
    }

    @Test func tenThousandJobsAcrossTwentyFiles() throws {
        let files = JinjaBenchmarks.files()
        let globals = OrderedDict([
            ("storage", .string("postgresql://db")),
            ("env", .dict(OrderedDict([("HOME", .string("/root"))]))),
        ])
        var best = Duration.seconds(100)
        var rendered: [Rendered] = []
        for _ in 0..<10 {
            let environment = Environment(loader: MemoryLoader(files: files), globals: globals)
            let start = cpuNow()
            rendered = []
            for n in 0..<20 {
                rendered.append(try environment.render(templateNamed: "sites\(n).yaml"))
            }
            best = min(best, cpuNow() - start)
        }
        let bytes = rendered.reduce(0) { $0 + $1.text.utf8.count }

        // One origin lookup per rendered line, as a loader might do for every node.
        let lineCounts = rendered.map { $0.text.utf8.count { $0 == UInt8(ascii: "\n") } + 1 }
        var lookups = Duration.seconds(100)
        for _ in 0..<3 {
            let start = cpuNow()
            var frames = 0
            for (result, lines) in zip(rendered, lineCounts) {
                for line in 1...lines {
                    frames += result.origin(line: line, column: 5).frames.count
                }
            }
            lookups = min(lookups, cpuNow() - start)
            #expect(frames > 0)
        }
        let lineTotal = lineCounts.reduce(0, +)
        print(
            "jinja bench: 20 files, 10000 macro calls, \(bytes) bytes: render \(best); "
                + "\(lineTotal) origin lookups: \(lookups)")
    }
}

/// CPU time used by the calling thread.
private func cpuNow() -> Duration {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
}
