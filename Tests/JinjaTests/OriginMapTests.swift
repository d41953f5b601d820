import Testing

@testable import Jinja

@Suite struct OriginMapTests {
    @Test func literalTextMapsCharacterByCharacter() throws {
        let rendered = try render("a: 1\n{% if true %}bb: 2{% endif %}\n  cc: 3", globals: [])
        #expect(rendered.text == "a: 1\nbb: 2\n  cc: 3")
        #expect(rendered.origin(line: 1, column: 4).position.description == "main.yaml:1:4")
        #expect(rendered.origin(line: 2, column: 1).position.description == "main.yaml:2:14")
        #expect(rendered.origin(line: 2, column: 5).position.description == "main.yaml:2:18")
        #expect(rendered.origin(line: 3, column: 5).position.description == "main.yaml:3:5")
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let rendered = try render("é{{ 'ü' }}ö: x\nzoë: {{ n }} y", globals: [("n", .int(7))])
        #expect(rendered.text == "éüö: x\nzoë: 7 y")
        #expect(rendered.origin(line: 1, column: 3).position.description == "main.yaml:1:11")
        #expect(rendered.origin(line: 1, column: 6).position.description == "main.yaml:1:14")
        #expect(rendered.origin(line: 2, column: 6).position.description == "main.yaml:2:9")
        #expect(rendered.origin(line: 2, column: 8).position.description == "main.yaml:2:14")
    }

    @Test func expressionOutputMapsToTheExpression() throws {
        let rendered = try render(
            "k: {{ value|upper }}\n", globals: [("value", .string("one\ntwo"))])
        #expect(rendered.text == "k: ONE\nTWO")
        #expect(rendered.origin(line: 1, column: 5).position.description == "main.yaml:1:7")
        #expect(rendered.origin(line: 2, column: 2).position.description == "main.yaml:1:7")
        #expect(rendered.origin(line: 2, column: 2).frames.isEmpty)
    }

    @Test func textFromAMacroNamesTheCallAndTheDefinition() throws {
        let macros = "{% macro site(name) %}\n- id: {{ name }}\n  bad: [\n{% endmacro %}\n"
        let main = "{% import '_macros.j2' as m %}\njobs:\n{{ m.site('a') }}\n"
        let rendered = try render(main, ["_macros.j2": macros])
        #expect(rendered.text == "\njobs:\n\n- id: a\n  bad: [\n")
        let origin = rendered.origin(line: 5, column: 8)
        #expect(origin.position.description == "main.yaml:3:6")
        #expect(origin.writtenAt.description == "_macros.j2:3:8")
        #expect(
            origin.frames == [
                Origin.Frame(
                    what: "macro 'site'",
                    definedAt: SourcePosition(file: "_macros.j2", line: 1, column: 1),
                    calledFrom: SourcePosition(file: "main.yaml", line: 3, column: 6))
            ])
        #expect(origin.described == "main.yaml:3:6 (in macro 'site' from _macros.j2:3:8)")
    }

    @Test func nestedMacrosAndIncludesListFramesInnermostFirst() throws {
        let files = [
            "_m.j2":
                "{% macro inner() %}X{% endmacro %}{% macro outer() %}<{{ inner() }}>{% endmacro %}",
            "_part.j2": "{% from '_m.j2' import outer %}{{ outer() }}",
        ]
        let rendered = try render("top {% include '_part.j2' %}", files)
        #expect(rendered.text == "top <X>")
        let origin = rendered.origin(line: 1, column: 6)
        #expect(origin.frames.map(\.what) == ["macro 'inner'", "macro 'outer'", "include"])
        #expect(
            origin.frames.map(\.calledFrom.description)
                == ["_m.j2:1:58", "_part.j2:1:35", "main.yaml:1:5"])
        #expect(origin.position.description == "main.yaml:1:5")
        #expect(origin.writtenAt.description == "_m.j2:1:20")
        #expect(
            rendered.origin(line: 1, column: 5).frames.map(\.what) == ["macro 'outer'", "include"])
    }

    @Test func positionsPastTheEndMapToTheLastText() throws {
        let rendered = try render("a: 1\nb: {{ 2 }}")
        #expect(rendered.origin(line: 9, column: 1).position.description == "main.yaml:2:7")
        #expect(rendered.origin(line: 2, column: 99).position.description == "main.yaml:2:7")
        let empty = try render("{# nothing #}")
        #expect(empty.origin(line: 1, column: 1).position.description == "main.yaml:1:1")
    }

    @Test func capturedMacroOutputMapsToTheExpression() throws {
        let rendered = try render("{% macro m() %}ab{% endmacro %}x: {{ m()|upper }}")
        #expect(rendered.text == "x: AB")
        #expect(rendered.origin(line: 1, column: 5).position.description == "main.yaml:1:38")
        #expect(rendered.origin(line: 1, column: 5).frames.isEmpty)
    }
}
