import Testing

@testable import Jinja

/// Files that include each other without end are named as a cycle at the
/// include that closes it, not as a hundred nested includes; a recursion
/// through a macro keeps the nesting message, and an include that recurses
/// a few times under a condition still renders.
@Suite struct IncludeCycleTests {
    @Test(arguments: [
        (
            ["a.j2": "{% include 'b.j2' %}", "b.j2": "x\n  {% include 'a.j2' %}"],
            "{% include 'a.j2' %}",
            "b.j2:2:3: include cycle: a.j2 -> b.j2 -> a.j2 (more than 100 nested includes)"
        ),
        (
            ["s.j2": "{% include 's.j2' %}"], "{% include 's.j2' %}",
            "s.j2:1:1: include cycle: s.j2 -> s.j2 (more than 100 nested includes)"
        ),
        (
            [:], "{% include 'main.yaml' %}",
            "main.yaml:1:1: include cycle: main.yaml -> main.yaml (more than 100 nested includes)"
        ),
        (
            ["m.j2": "{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}"], "{% include 'm.j2' %}",
            "m.j2:1:19: too many nested macro calls or includes (more than 100)"
        ),
    ])
    func aCycleIsNamedAtTheIncludeThatClosesIt(
        files: [String: String], main: String, expected: String
    ) {
        #expect(renderError(main, files) == expected)
    }

    @Test func aBoundedRecursiveIncludeStillRenders() throws {
        let files = ["r.j2": "{% set n = n - 1 %}{{ n }}{% if n > 0 %}{% include 'r.j2' %}{% endif %}"]
        #expect(try render("{% set n = 4 %}{% include 'r.j2' %}", files).text == "3210")
    }
}
