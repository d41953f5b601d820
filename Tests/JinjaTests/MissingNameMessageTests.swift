import Testing

@testable import Jinja

/// Messages for a missing environment variable, a missing macro of an
/// imported template, and a repeated call chain.
@Suite struct MissingNameMessageTests {
    func error(_ main: String, _ files: [String: String] = [:]) -> String? {
        var all = files
        all["main.yaml"] = main
        var environment = Environment(
            loader: MemoryLoader(files: all),
            globals: OrderedDict([("env", .dict(OrderedDict([("HOME", .string("/root"))])))]))
        environment.missingKeyNouns = ["env": "environment variable"]
        do {
            _ = try environment.render(templateNamed: "main.yaml")
            return nil
        } catch let error as TemplateError {
            return "\(error.position): \(error.message)" + (error.suggestion.map { "; " + $0 } ?? "")
        } catch {
            return "not a TemplateError: \(error)"
        }
    }

    @Test func aMissingEnvironmentVariableIsNamed() {
        #expect(
            error("{{ env.NOT_SET }}") == "main.yaml:1:8: environment variable 'NOT_SET' is not set")
        #expect(
            error("{{ env['HOMR'] }}")
                == "main.yaml:1:7: environment variable 'HOMR' is not set; did you mean 'HOME'?")
        // `default` still works, and other dicts keep Jinja's message.
        #expect(error("{{ env.NOT_SET|default('x') }}") == nil)
        #expect(error("{% set d = {'a': 1} %}{{ d.b }}") == "main.yaml:1:28: dict has no key 'b'; did you mean 'a'?")
    }

    @Test func aMissingMacroOfAnImportIsNamed() {
        let files = ["_m.j2": "{% macro greet() %}hi{% endmacro %}"]
        #expect(
            error("{% import '_m.j2' as m %}{{ m.gret() }}", files)
                == "main.yaml:1:31: '_m.j2' has no macro 'gret'; did you mean 'greet'?")
    }

    @Test func repeatedFramesAreWrittenOnce() {
        #expect(Origin.collapsed(["a", "a", "a", "b", "a"]) == "a, 2 more times, b, a")
        #expect(Origin.collapsed(["a", "a"]) == "a, 1 more time")
        #expect(Origin.collapsed([]) == "")
        // Two files including each other: the pair, then how often it repeats.
        #expect(Origin.collapsed(["x", "y", "x", "y", "x", "y", "z"]) == "x, y, these 2 again 2 more times, z")
        #expect(Origin.collapsed(["x", "y", "x"]) == "x, y, x")
    }
}
