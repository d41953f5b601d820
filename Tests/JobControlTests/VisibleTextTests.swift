import Testing

@testable import JobControl

/// What the log views print of a job's line: controls and the bidirectional
/// overrides shown, not obeyed (a tester's U+202E reordered a terminal line);
/// bytes that are not UTF-8 shown as `\xff`, not U+FFFD.
@Suite struct VisibleTextTests {
    @Test(arguments: [
        ("plain — text … €", "plain — text … €"),
        ("a\u{1B}[2Jb", "a\\x1b[2Jb"),
        ("evil\u{202E}txt.exe", "evil\\u202etxt.exe"),
        ("\u{2066}iso\u{2069}", "\\u2066iso\\u2069"),
        ("tab\tkept", "tab\tkept"),
    ])
    func aLineIsShownNotObeyed(line: String, shown: String) {
        #expect(VisibleText.escaped(line) == shown)
    }

    @Test func bytesThatAreNotUTF8AreShownAsHex() {
        #expect(VisibleText.escaped(bytes: Array("ok".utf8) + [0xFF, 0xFE] + Array(" é\u{1B}".utf8)) == "ok\\xff\\xfe é\\x1b")
    }
}
