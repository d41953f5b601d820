@testable import Jinja

/// Templates held in memory, by name.
struct MemoryLoader: TemplateLoader {
    let files: [String: String]

    func source(named name: String) throws -> String? { files[name] }
}

/// Renders `main` from `files` with `globals`.
func render(
    _ main: String, _ files: [String: String] = [:], globals: [(String, Value)] = []
) throws -> Rendered {
    var all = files
    all["main.yaml"] = main
    let environment = Environment(loader: MemoryLoader(files: all), globals: OrderedDict(globals))
    return try environment.render(templateNamed: "main.yaml")
}

/// The error `main` fails with, as `file:line:col: message; suggestion`.
func renderError(
    _ main: String, _ files: [String: String] = [:], globals: [(String, Value)] = []
) -> String? {
    do {
        _ = try render(main, files, globals: globals)
        return nil
    } catch let error as TemplateError {
        return "\(error.position): \(error.message)" + (error.suggestion.map { "; " + $0 } ?? "")
    } catch {
        return "not a TemplateError: \(error)"
    }
}
