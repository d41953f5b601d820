import Testing

@testable import JobControl

struct RenderColorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var choice: ColorChoice
        var terminal: Bool
        var environment: [String: String]
        var color: Bool
        var testDescription: String { "\(choice) terminal=\(terminal) \(environment) -> \(color)" }
    }

    static let cases: [Case] = [
        Case(choice: .auto, terminal: true, environment: ["TERM": "xterm"], color: true),
        Case(choice: .auto, terminal: false, environment: ["TERM": "xterm"], color: false),
        // no-color.org: only a NO_COLOR with a value turns colour off.
        Case(
            choice: .auto, terminal: true, environment: ["TERM": "xterm", "NO_COLOR": ""],
            color: true),
        Case(
            choice: .auto, terminal: true, environment: ["TERM": "xterm", "NO_COLOR": "1"],
            color: false),
        Case(choice: .auto, terminal: true, environment: ["TERM": "dumb"], color: false),
        Case(
            choice: .always, terminal: false, environment: ["NO_COLOR": "1", "TERM": "dumb"],
            color: true),
        Case(choice: .never, terminal: true, environment: ["TERM": "xterm"], color: false),
    ]

    @Test(arguments: cases)
    func colourFollowsTheTerminalAndTheEnvironment(_ test: Case) {
        #expect(
            ColorPolicy.useColor(
                test.choice, isTerminal: test.terminal, environment: test.environment) == test.color
        )
    }

    @Test func aPaletteWithoutColourWritesNoEscapeCodes() {
        let plain = Palette(enabled: false)
        #expect(plain.red("failed") == "failed")
        #expect(Palette(enabled: true).red("failed") == "\u{1B}[31mfailed\u{1B}[0m")
        #expect(Palette(enabled: true).red("") == "")
    }

    @Test(arguments: [
        (0.04, "0.0s"), (2.14, "2.1s"), (59.9, "59.9s"), (184, "3m04s"), (3720, "1h02m"),
        (183600, "2d03h"),
    ])
    func durationsAreShort(_ seconds: Double, _ text: String) {
        #expect(DurationFormat.short(seconds) == text)
    }
}
