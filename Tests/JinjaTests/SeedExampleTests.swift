import Testing

@testable import Jinja

/// The macro example of the original documentation, in jcrun's form (JOBS.md).
@Suite struct SeedExampleTests {
    static let template = """
        {% macro process_website(name, url) %}
        - id: crawl_{{ name }}
          title: "Crawl {{ url }}"
          command: ["scripts/crawl.sh", "{{ url }}"]
          env:
            STORAGE: "postgresql://.../crawled_data_{{ name }}"

        - id: process_{{ name }}
          title: "Process {{ url }}"
          command: ["scripts/process.sh"]
          dependencies: [crawl_{{ name }}]
          env:
            INPUT_STORAGE: !retval crawl_{{ name }}
            STORAGE: "postgresql://.../processed_data_{{ name }}"
        {% endmacro %}

        jobs:
        {{ process_website('example_com', 'http://www.example.com') }}
        {{ process_website('example_org', 'http://www.example.org') }}
        {{ process_website('example_net', 'http://www.example.net') }}

        """

    @Test func threeCallsGiveSixJobsInOrder() throws {
        let text = try render(SeedExampleTests.template).text
        let ids = text.split(separator: "\n").compactMap { line -> String? in
            line.hasPrefix("- id: ") ? String(line.dropFirst(6)) : nil
        }
        #expect(
            ids == [
                "crawl_example_com", "process_example_com", "crawl_example_org",
                "process_example_org", "crawl_example_net", "process_example_net",
            ])
        #expect(text.contains("  dependencies: [crawl_example_org]\n"))
        #expect(text.contains("    INPUT_STORAGE: !retval crawl_example_net\n"))
        #expect(text.contains("  command: [\"scripts/crawl.sh\", \"http://www.example.net\"]\n"))
    }

    @Test func eachJobLineMapsIntoTheMacroWithItsCall() throws {
        let rendered = try render(SeedExampleTests.template)
        let lines = rendered.text.split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(lines.firstIndex(of: "- id: process_example_org")) + 1
        let origin = rendered.origin(line: line, column: 7)
        #expect(origin.position.description == "main.yaml:19:4")
        #expect(origin.writtenAt.description == "main.yaml:8:7")
        #expect(origin.frames.map(\.what) == ["macro 'process_website'"])
    }
}
