import Foundation
import Testing

/// docs/COMMANDS.md shows each command's `--help` exactly, so it cannot drift
/// from the catalog. `JCRUN_UPDATE_DOCS=1 swift test --filter CommandDocsTests`
/// rewrites the blocks from the current help.
struct CommandDocsTests {
    static let docs = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/COMMANDS.md")

    /// `jcrun --help`'s command names, in order.
    static func commandNames(_ help: String) -> [String] {
        let lines = help.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: "Commands:") else { return [] }
        return lines[(start + 1)...].prefix { !$0.isEmpty }.compactMap {
            $0.split(separator: " ").first.map(String.init)
        }
    }

    /// A command's help without the global options, which the doc shows once.
    static func withoutGlobalOptions(_ help: String) -> String {
        guard let start = help.range(of: "\nGlobal options:\n") else { return help }
        let rest = help[start.upperBound...]
        guard let end = rest.range(of: "\n\n") else { return String(help[..<start.lowerBound]) }
        return String(help[..<start.lowerBound]) + String(rest[rest.index(after: end.lowerBound)...])
    }

    /// The doc with the fenced block after `heading` replaced by `body`.
    static func replacingBlock(after heading: String, with body: String, in text: String)
        -> String?
    {
        guard let headingRange = text.range(of: "\n" + heading + "\n\n```\n") else { return nil }
        let rest = text[headingRange.upperBound...]
        guard let end = rest.range(of: "```\n") else { return nil }
        return String(text[..<headingRange.upperBound]) + body + String(rest[end.lowerBound...])
    }

    @Test func theCommandReferenceMatchesEachCommandsHelp() throws {
        let current = try String(contentsOf: Self.docs, encoding: .utf8)
        let main = try Jcrun.run(["--help"]).stdout
        var expected = current
        var missing: [String] = []
        if let replaced = Self.replacingBlock(after: "## Commands", with: main, in: expected) {
            expected = replaced
        } else {
            missing.append("## Commands")
        }
        for name in Self.commandNames(main) {
            let help = Self.withoutGlobalOptions(try Jcrun.run([name, "--help"]).stdout)
            if let replaced = Self.replacingBlock(after: "### " + name, with: help, in: expected) {
                expected = replaced
            } else {
                missing.append("### " + name)
            }
        }
        #expect(missing.isEmpty, "docs/COMMANDS.md has no fenced block under \(missing)")
        if expected != current && ProcessInfo.processInfo.environment["JCRUN_UPDATE_DOCS"] == "1" {
            try expected.write(to: Self.docs, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            expected == current,
            "docs/COMMANDS.md differs from --help; run JCRUN_UPDATE_DOCS=1 swift test --filter CommandDocsTests"
        )
    }
}
