import Foundation
import Testing

@testable import Jinja

/// Rendering speed on the shape jcrun needs: 10,000 jobs written by a
/// `{% for %}` loop calling an imported macro, across 20 files.
///
/// Prints timings, asserts nothing about them. Run with
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
        let globals = OrderedDict([("storage", .string("postgresql://db")),
            ("env", .dict(OrderedDict([("HOME", .string("/root"))])))])
        var best = Duration.seconds(100)
        var lookups = Duration.seconds(100)
        var bytes = 0
        for _ in 0..<5 {
            let environment = Environment(loader: MemoryLoader(files: files), globals: globals)
            let start = ContinuousClock.now
            var rendered: [Rendered] = []
            for n in 0..<20 { rendered.append(try environment.render(templateNamed: "sites\(n).yaml")) }
            best = min(best, ContinuousClock.now - start)
            bytes = rendered.reduce(0) { $0 + $1.text.utf8.count }
            // One origin lookup per rendered line, as a loader might do for every node.
            let lookupStart = ContinuousClock.now
            var frames = 0
            for result in rendered {
                let lineCount = result.text.split(separator: "\n", omittingEmptySubsequences: false).count
                for line in 1...lineCount { frames += result.origin(line: line, column: 5).frames.count }
            }
            lookups = min(lookups, ContinuousClock.now - lookupStart)
            #expect(frames > 0)
        }
        print("jinja bench: 20 files, 10000 macro calls, \(bytes) bytes: render \(best), "
            + "one origin lookup per line: \(lookups)")
    }
}
