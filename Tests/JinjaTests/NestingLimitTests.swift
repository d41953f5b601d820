import Testing

@testable import Jinja

/// Deeply nested expressions, blocks and values fail with a positioned
/// message instead of overflowing the stack (a tester's 3,000 unary minuses,
/// 3,000 `[`, and `{% set a.v = [a.v] %}` in a loop of 10,000 crashed).
@Suite struct NestingLimitTests {
    static func repeated(_ text: String, _ count: Int) -> String {
        String(repeating: text, count: count)
    }

    static let loop = "{% set a = namespace(v=[]) %}{% for i in range(60000) %}"

    static let failing: [(String, String)] = [
        (
            "{{ " + repeated("-", 3000) + "1 }}",
            "main.yaml:1:104: expression nested too deeply (more than 100 levels)"
        ),
        (
            "{{ " + repeated("[", 3000) + "1" + repeated("]", 3000) + " }}",
            "main.yaml:1:104: expression nested too deeply (more than 100 levels)"
        ),
        (
            "{{ " + repeated("(", 3000) + "1" + repeated(")", 3000) + " }}",
            "main.yaml:1:104: expression nested too deeply (more than 100 levels)"
        ),
        (
            "{{ " + repeated("{1: ", 3000) + "1" + repeated("}", 3000) + " }}",
            "main.yaml:1:401: expression nested too deeply (more than 100 levels)"
        ),
        (
            "{{ " + repeated("not ", 3000) + "1 }}",
            "main.yaml:1:404: expression nested too deeply (more than 100 levels)"
        ),
        (
            "{{ " + repeated("1 + ", 20000) + "1 }}",
            "main.yaml:1:404: expression nested too deeply (more than 100 levels)"
        ),
        (
            "{{ 1" + repeated("|string", 20000) + " }}",
            "main.yaml:1:698: expression nested too deeply (more than 100 levels)"
        ),
        (
            "{{ x" + repeated(".a", 20000) + " }}",
            "main.yaml:1:203: expression nested too deeply (more than 100 levels)"
        ),
        (
            "{{ " + repeated("1 if 1 else ", 20000) + "1 }}",
            "main.yaml:1:1197: expression nested too deeply (more than 100 levels)"
        ),
        (
            repeated("{% if 1 %}", 3000) + repeated("{% endif %}", 3000),
            "main.yaml:1:1001: too many nested blocks (more than 100)"
        ),
        (
            loop + "{% set a.v = [a.v] %}{% endfor %}",
            "main.yaml:1:73: lists and dicts nested too deeply (more than 100 levels)"
        ),
        (
            loop + "{% set a.v = (a.v,) %}{% endfor %}",
            "main.yaml:1:73: lists and dicts nested too deeply (more than 100 levels)"
        ),
        (
            loop + "{% set a.v = {'k': a.v} %}{% endfor %}",
            "main.yaml:1:78: lists and dicts nested too deeply (more than 100 levels)"
        ),
        (
            loop + "{% set a.v = dict(k=a.v) %}{% endfor %}",
            "main.yaml:1:70: lists and dicts nested too deeply (more than 100 levels)"
        ),
        (
            loop + "{% set a.v = [a.v, 1]|batch(1)|list %}{% endfor %}",
            "main.yaml:1:79: lists and dicts nested too deeply (more than 100 levels)"
        ),
        (
            "{% set ns = namespace(l=[1]) %}{% for i in range(200) %}"
                + "{% set ns.l = [ns.l, ns.l] %}{% endfor %}",
            "main.yaml:1:75: lists and dicts nested too deeply (more than 100 levels)"
        ),
        (
            "{% set a = namespace() %}{% set a.v = a %}{{ a }}",
            "main.yaml:1:46: lists and dicts nested too deeply (more than 100 levels)"
        ),
    ]

    @Test(arguments: failing)
    func refused(_ template: String, _ expected: String) {
        #expect(renderError(template) == expected)
    }

    /// Up to the limits, everything renders as before.
    static let working: [(String, String)] = [
        ("{{ " + repeated("-", 98) + "1 }}", "1"),
        ("{{ " + repeated("[", 99) + "1" + repeated("]", 99) + "|length }}", "1"),
        ("{{ " + repeated("1 + ", 99) + "1 }}", "100"),
        (repeated("{% if 1 %}", 100) + "x" + repeated("{% endif %}", 100), "x"),
        (
            "{% set a = namespace(v=[]) %}{% for i in range(99) %}{% set a.v = [a.v] %}"
                + "{% endfor %}{{ a.v|tojson|length }} {{ a.v|string|length }}",
            "200 200"
        ),
        // Shared items are walked once per level, not once per path (2^45 here).
        (
            "{% set ns = namespace(l=[1]) %}{% for i in range(45) %}"
                + "{% set ns.l = [ns.l, {'k': ns.l}] %}{% endfor %}{{ ns.l|length }}",
            "2"
        ),
    ]

    @Test(arguments: working)
    func allowed(_ template: String, _ expected: String) throws {
        #expect(try render(template).text == expected)
    }

    /// Values built deeper than a literal allows (by code, or a path not
    /// checked when built) still print as an error, not a crash.
    @Test func printingAVeryDeepValueFails() throws {
        var value = RV.list([])
        for _ in 0..<150 { value = .list([value]) }
        let message = "lists and dicts nested too deeply (more than 100 levels)"
        #expect(throws: SizeLimit.Exceeded.self) { try value.repr() }
        do {
            _ = try value.repr()
        } catch let error as SizeLimit.Exceeded {
            #expect(error.message == message)
        }
        var reported: String?
        _ = try? JSON.encode(value, indent: nil) { text, _ in
            reported = text
            return TemplateError(
                position: SourcePosition(file: "x", line: 1, column: 1), message: text)
        }
        #expect(reported == message)
    }
}
