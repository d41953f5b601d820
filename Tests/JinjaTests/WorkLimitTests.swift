import Testing

@testable import Jinja

/// A runaway loop or recursion stops at the work limit with a positioned
/// message, instead of running for minutes (README: templates cannot run away).
@Suite struct WorkLimitTests {
    static let limit = "too much template work: more than 1000000 loop iterations and macro calls in one file (is a loop or a recursion running away?)"

    @Test func nestedLoopsStopAtTheLimit() {
        let template = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}"
        #expect(renderError(template) == "main.yaml:1:39: " + Self.limit)
    }

    @Test func aLongLoopWithANamespaceStopsAtTheLimit() {
        let template = """
            {% set ns = namespace(n=0) %}
            {% for i in range(5000000) %}{% set ns.n = ns.n + 1 %}{% endfor %}
            """
        #expect(renderError(template) == "main.yaml:2:13: " + Self.limit)
    }

    @Test func branchingRecursionStopsAtTheLimit() {
        let template = """
            {% macro m(n) %}{% if n > 0 %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}
            {{ m(60) }}
            """
        let message = WorkLimit.$maximumSteps.withValue(10_000) { renderError(template) }
        #expect(message?.hasSuffix("more than 10000 loop iterations and macro calls in one file (is a loop or a recursion running away?)") == true)
    }

    @Test func workJustUnderTheLimitRenders() throws {
        let template = "{% for i in range(100) %}{% for j in range(99) %}{% endfor %}{% endfor %}ok"
        let text = try WorkLimit.$maximumSteps.withValue(100 + 100 * 99) { try render(template).text }
        #expect(text == "ok")
        let over = WorkLimit.$maximumSteps.withValue(100 + 100 * 99 - 1) { renderError(template) }
        #expect(over == "main.yaml:1:38: too much template work: more than 9999 loop iterations and macro calls in one file (is a loop or a recursion running away?)")
    }
}
