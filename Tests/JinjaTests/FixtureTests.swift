import Foundation
import Testing

@testable import Jinja

/// Loads templates from a folder, refusing absolute names and `..`, as
/// Jinja's `FileSystemLoader` does.
struct DirectoryLoader: TemplateLoader {
    let directory: URL

    func source(named name: String) throws -> String? {
        if name.hasPrefix("/") || name.split(separator: "/").contains("..") { return nil }
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try String(contentsOf: url, encoding: .utf8)
    }
}

/// One template of `Fixtures/cases`, with what the real jinja2 made of it.
struct FixtureCase: CustomTestStringConvertible, Sendable {
    let name: String
    var testDescription: String { name }

    static let directory: URL = Bundle.module.resourceURL!
        .appendingPathComponent("Fixtures/cases")

    static func all() -> [FixtureCase] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".j2") && !$0.hasPrefix("_") }
            .map { FixtureCase(name: String($0.dropLast(3))) }
            .sorted { $0.name < $1.name }
    }

    func file(_ suffix: String) -> URL {
        FixtureCase.directory.appendingPathComponent(name + suffix)
    }

    func globals() throws -> OrderedDict {
        guard let text = try? String(contentsOf: file(".vars.json"), encoding: .utf8) else {
            return OrderedDict()
        }
        var parser = OrderedJSONParser(text: text)
        guard case .dict(let dict) = try parser.parseValue() else { return OrderedDict() }
        return dict
    }
}

/// A small JSON reader that keeps key order, as Python's `json` does.
struct OrderedJSONParser {
    struct Failure: Error {}
    private let scalars: [Unicode.Scalar]
    private var i = 0

    init(text: String) { scalars = Array(text.unicodeScalars) }

    private mutating func skipSpace() {
        while i < scalars.count, [" ", "\n", "\t", "\r"].contains(scalars[i]) { i += 1 }
    }

    mutating func parseValue() throws -> Value {
        skipSpace()
        guard i < scalars.count else { throw Failure() }
        switch scalars[i] {
        case "{":
            i += 1
            var dict = OrderedDict()
            skipSpace()
            if scalars[i] == "}" {
                i += 1
                return .dict(dict)
            }
            while true {
                skipSpace()
                guard case .string(let key) = try parseValue() else { throw Failure() }
                skipSpace()
                i += 1  // ':'
                dict[key] = try parseValue()
                skipSpace()
                let c = scalars[i]
                i += 1
                if c == "}" { return .dict(dict) }
            }
        case "[":
            i += 1
            var items: [Value] = []
            skipSpace()
            if scalars[i] == "]" {
                i += 1
                return .list(items)
            }
            while true {
                items.append(try parseValue())
                skipSpace()
                let c = scalars[i]
                i += 1
                if c == "]" { return .list(items) }
            }
        case "\"":
            i += 1
            var text = String.UnicodeScalarView()
            while scalars[i] != "\"" {
                if scalars[i] == "\\" {
                    i += 1
                    switch scalars[i] {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "u":
                        let hex = String(String.UnicodeScalarView(scalars[(i + 1)...(i + 4)]))
                        text.append(Unicode.Scalar(UInt32(hex, radix: 16)!)!)
                        i += 4
                    default: text.append(scalars[i])
                    }
                } else {
                    text.append(scalars[i])
                }
                i += 1
            }
            i += 1
            return .string(String(text))
        default:
            let start = i
            while i < scalars.count, !",]} \n".unicodeScalars.contains(scalars[i]) { i += 1 }
            let word = String(String.UnicodeScalarView(scalars[start..<i]))
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .none
            default:
                if let int = Int(word) { return .int(int) }
                if let double = Double(word) { return .double(double) }
                throw Failure()
            }
        }
    }
}

/// `LINE:COL: message; suggestion`, with the file named when it is not the case's own.
func describe(_ error: TemplateError, caseFile: String) -> String {
    let position = error.position
    let place =
        position.file == caseFile
        ? "\(position.line):\(position.column)" : position.description
    return place + ": " + error.message + (error.suggestion.map { "; " + $0 } ?? "")
}

@Suite struct JinjaCompatibilityTests {
    @Test(arguments: FixtureCase.all())
    func rendersAsJinjaDoes(_ fixture: FixtureCase) throws {
        let environment = Environment(
            loader: DirectoryLoader(directory: FixtureCase.directory),
            globals: try fixture.globals())
        let expectedError = try? String(
            contentsOf: fixture.file(".expected-error"), encoding: .utf8)
        do {
            let rendered = try environment.render(templateNamed: fixture.name + ".j2")
            let jinja2 = try Data(contentsOf: fixture.file(".out"))
            // A documented deviation: compare with the hand-written output,
            // which must say why and must differ from jinja2's.
            let deviation = try? Data(contentsOf: fixture.file(".deviation.out"))
            if deviation != nil {
                #expect(
                    FileManager.default.fileExists(atPath: fixture.file(".deviation.txt").path))
                #expect(deviation != jinja2, "jinja2 now gives the deviation's output")
            }
            let expected = deviation ?? jinja2
            #expect(expectedError == nil, "jinja2 fails on this template")
            let identical = Array(rendered.text.utf8) == Array(expected)
            #expect(
                identical,
                "\n--- ours\n\(rendered.text)\n--- jinja2\n\(String(decoding: expected, as: UTF8.self))"
            )
        } catch let error as TemplateError {
            let expected = try #require(expectedError, "unexpected error: \(error)")
            #expect(FileManager.default.fileExists(atPath: fixture.file(".err").path))
            #expect(
                describe(error, caseFile: fixture.name + ".j2")
                    == expected.trimmingCharacters(in: .newlines))
        }
    }

    @Test func everyCaseHasAJinjaResult() {
        for fixture in FixtureCase.all() {
            let out = FileManager.default.fileExists(atPath: fixture.file(".out").path)
            let err = FileManager.default.fileExists(atPath: fixture.file(".err").path)
            #expect(out != err, "\(fixture.name): run generate.py")
        }
    }
}
