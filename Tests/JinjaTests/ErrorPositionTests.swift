import Testing

@testable import Jinja

@Suite struct ErrorPositionTests {
    static let cases: [(String, String, String)] = [
        (
            "undefined name", "a\n  b: {{ dta_dir }}",
            "main.yaml:2:9: undefined variable 'dta_dir'; did you mean 'data_dir'?"
        ),
        (
            "unknown filter", "{{ x|uper }}",
            "main.yaml:1:6: unknown filter 'uper'; did you mean 'upper'?"
        ),
        (
            "unknown test", "{{ 1 is evn }}",
            "main.yaml:1:9: unknown test 'evn'; did you mean 'even'?"
        ),
        (
            "unknown tag", "\n\n  {% iff x %}",
            "main.yaml:3:6: unknown tag 'iff'; did you mean 'if'?"
        ),
        ("unsupported tag", "{% autoescape true %}", "main.yaml:1:4: tag 'autoescape' is not supported"),
        // Jinja's filters and globals jcrun lacks are "not supported", not unknown.
        ("filter not supported", "{{ 'x'|urlize(3) }}", "main.yaml:1:8: filter 'urlize' is not supported"),
        (
            "filter not supported in a branch", "{% if true %}{{ 'x'|xmlattr }}{% endif %}",
            "main.yaml:1:21: filter 'xmlattr' is not supported"
        ),
        ("global not supported", "{{ lipsum(2) }}", "main.yaml:1:4: function 'lipsum' is not supported"),
        // str.format: what it cannot do is named, not reported as a missing value.
        ("format spec", "{{ '{:d}'.format(5) }}", "main.yaml:1:11: format spec ':d' is not supported"),
        (
            "format align", "{{ '{0:>5}'.format('a') }}",
            "main.yaml:1:13: format spec ':>5' is not supported"
        ),
        (
            "format conversion", "{{ '{!r}'.format('a') }}",
            "main.yaml:1:11: format conversion '!r' is not supported"
        ),
        (
            "format index", "{{ '{0[0]}'.format([7]) }}",
            "main.yaml:1:13: format field '{0[0]}' is not supported (no index or attribute)"
        ),
        (
            "format attribute", "{{ '{a.b}'.format(a=1) }}",
            "main.yaml:1:12: format field '{a.b}' is not supported (no index or attribute)"
        ),
        ("unterminated block", "x {% if", "main.yaml:1:3: unterminated tag: expected '%}'"),
        ("unterminated output", "x\n {{ a ", "main.yaml:2:2: unterminated tag: expected '}}'"),
        ("unterminated comment", "{# x", "main.yaml:1:1: unterminated comment: expected '#}'"),
        (
            "unterminated raw", "{% raw %}x",
            "main.yaml:1:1: unterminated raw block: expected '{% endraw %}'"
        ),
        ("unterminated string", "{{ 'abc }}", "main.yaml:1:4: unterminated string"),
        (
            "unclosed if", "{% if true %}\nx",
            "main.yaml:1:1: 'if' tag is never closed: expected 'elif' or 'else' or 'endif'"
        ),
        ("stray end tag", "{% endfor %}", "main.yaml:1:4: unexpected 'endfor' tag"),
        (
            "wrong end tag", "{% if 1 %}{% endfor %}",
            "main.yaml:1:14: unexpected 'endfor' tag; expected 'elif' or 'else' or 'endif'"
        ),
        (
            "missing include", "x\n{% include '_x.j2' %}",
            "main.yaml:2:1: template '_x.j2' not found"
        ),
        (
            "too many macro arguments", "{% macro site(a, b) %}{% endmacro %}{{ site(1, 2, 3) }}",
            "main.yaml:1:40: macro 'site' takes 2 arguments, 3 given"
        ),
        (
            "missing macro argument", "{% macro s(a) %}{{ a }}{% endmacro %}{{ s() }}",
            "main.yaml:1:41: macro 's' was called without argument 'a'"
        ),
        (
            "iterating undefined", "{% for x in nope %}{% endfor %}",
            "main.yaml:1:13: undefined variable 'nope'"
        ),
        ("arithmetic on undefined", "{{ nope + 1 }}", "main.yaml:1:4: undefined variable 'nope'"),
        ("missing key", "{{ d.ky }}", "main.yaml:1:6: dict has no key 'ky'; did you mean 'key'?"),
        (
            "bad operands", "{{ 1 + 'a' }}",
            "main.yaml:1:6: unsupported operand types for +: 'int' and 'str'"
        ),
        ("unexpected token", "{{ 1 + }}", "main.yaml:1:8: expected an expression, found '}}'"),
        ("not callable", "{{ d() }}", "main.yaml:1:4: dict is not callable"),
        (
            "filter arguments", "{{ 'x'|indent(1, 2, 3, 4) }}",
            "main.yaml:1:8: filter 'indent' takes at most 3 arguments, 4 given"
        ),
        (
            "filter keyword", "{{ 'x'|indent(widht=2) }}",
            "main.yaml:1:8: filter 'indent' has no argument 'widht'; did you mean 'width'?"
        ),
        (
            "env var as global", "{{ env.HOEM }}",
            "main.yaml:1:8: dict has no key 'HOEM'; did you mean 'HOME'?"
        ),
        (
            "recursion", "{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}",
            "main.yaml:1:19: too many nested macro calls or includes (more than 100)"
        ),
    ]

    @Test(arguments: cases)
    func errorsNameTheExactPosition(_ name: String, _ source: String, _ expected: String) {
        let globals: [(String, Value)] = [
            ("data_dir", .string("/srv")),
            ("d", .dict(OrderedDict([("key", .int(1))]))),
            ("env", .dict(OrderedDict([("HOME", .string("/root"))]))),
        ]
        #expect(renderError(source, globals: globals) == expected, "\(name)")
    }

    @Test func anErrorInsideAMacroNamesTheCall() throws {
        let files = ["_m.j2": "{% macro site(n) %}\n  {{ n.missing }}\n{% endmacro %}"]
        let main = "{% from '_m.j2' import site %}\n{{ site({}) }}"
        let error = try #require(throws: TemplateError.self) { try render(main, files) }
        #expect(error.position.description == "_m.j2:2:8")
        #expect(error.message == "dict has no key 'missing'")
        #expect(error.frames.map(\.what) == ["macro 'site'"])
        #expect(error.frames.map(\.calledFrom.description) == ["main.yaml:2:4"])
    }

    @Test func undefinedValuesStillWorkWithDefaultAndDefined() throws {
        let rendered = try render(
            "{{ a|default('x') }} {{ a is defined }} {{ b.c|d(1) }}",
            globals: [("b", .dict(OrderedDict()))])
        #expect(rendered.text == "x False 1")
    }
}

@Suite struct IncludedErrorTests {
    @Test func aSyntaxErrorInAnIncludedFileNamesTheInclude() throws {
        let files = ["_bad.j2": "ok\n{% if %}"]
        let error = try #require(throws: TemplateError.self) {
            try render("a\n  {% include '_bad.j2' %}", files)
        }
        #expect(error.position.description == "_bad.j2:2:7")
        #expect(error.message == "expected an expression, found '%}'")
        #expect(error.frames.map(\.calledFrom.description) == ["main.yaml:2:3"])
    }
}

@Suite struct SuggestionTests {
    @Test(
        arguments: [
            ("dta_dir", ["data_dir", "env"], "did you mean 'data_dir'?"),
            ("uper", ["upper", "lower"], "did you mean 'upper'?"),
            ("nmae", ["name"], "did you mean 'name'?"),
            ("titel", ["site", "url"], nil),
            ("x", ["y"], "did you mean 'y'?"),
            ("completely_else", ["data_dir"], nil),
        ] as [(String, [String], String?)])
    func suggestsOnlyNearNames(_ name: String, _ candidates: [String], _ expected: String?) {
        #expect(closestName(to: name, in: candidates) == expected)
    }
}
