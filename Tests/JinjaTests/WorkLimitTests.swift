import Testing

@testable import Jinja

/// A runaway loop or recursion stops at the work limit with a positioned
/// message, instead of running for minutes (README: templates cannot run away).
@Suite struct WorkLimitTests {
    static let limit = "too much template work: more than 1000000 steps in one file (loop iterations, macro calls, and every 8 list items or 64 bytes of text a filter or operator makes; is a loop or a recursion running away?)"

    @Test func nestedLoopsStopAtTheLimit() {
        let template = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}"
        #expect(renderError(template) == "main.yaml:1:65: " + Self.limit)
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
        #expect(message?.hasSuffix("more than 10000 steps in one file (loop iterations, macro calls, and every 8 list items or 64 bytes of text a filter or operator makes; is a loop or a recursion running away?)") == true)
    }

    @Test func workJustUnderTheLimitRenders() throws {
        let template = "{% for i in range(100) %}{% for j in range(99) %}{% endfor %}{% endfor %}ok"
        // 100 + 100 * 99 iterations; range(100) makes 100 items (12 steps),
        // each of the 100 range(99) calls 99 (12 steps).
        let steps = 100 + 100 * 99 + 12 + 100 * 12
        let text = try WorkLimit.$maximumSteps.withValue(steps) { try render(template).text }
        #expect(text == "ok")
        let over = WorkLimit.$maximumSteps.withValue(steps - 1) { renderError(template) }
        #expect(over?.hasSuffix("too much template work: more than \(steps - 1) steps in one file (loop iterations, macro calls, and every 8 list items or 64 bytes of text a filter or operator makes; is a loop or a recursion running away?)") == true)
    }

    /// Huge values made in a loop spend the budget by their size (a
    /// tester's loops took 11 s to 40 s and 3.9 GB within the step count).
    @Test(arguments: [
        ("{% for i in range(10) %}{% set x = 'x' * 60000000 %}{% endfor %}", "1:40"),
        ("{% for i in range(10) %}{% set x = range(9999999) %}{% endfor %}", "1:36"),
        ("{% set x = range(900000) %}{% for i in range(100) %}{% set y = x|sort %}{% endfor %}", "1:66"),
        ("{% set x = range(900000) %}{% for i in range(100) %}{{ x|sum }}{% endfor %}", "1:58"),
    ])
    func hugeValuesSpendTheBudget(template: String, position: String) {
        #expect(renderError(template) == "main.yaml:\(position): " + Self.limit)
    }
}
