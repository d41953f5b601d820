import Foundation
import Testing

@testable import JobControl

/// Every example line of PROTOCOL.md, and the malformed variants.
@Suite struct ProtocolParserTests {
    static let directives: [(String, ParsedLine)] = [
        // The @progress table.
        ("@progress 20/100", .progress(ProgressUpdate(group: [], current: 20, total: 100))),
        (
            "@progress 3/10 Download webpages",
            .progress(ProgressUpdate(group: ["Download webpages"], current: 3, total: 10))
        ),
        (
            "@progress 1/2 foo.zip :: extracting",
            .progress(ProgressUpdate(group: ["foo.zip", "extracting"], current: 1, total: 2))
        ),
        (
            "@progress 5/10 Download webpages -- example.org/page5",
            .progress(
                ProgressUpdate(
                    group: ["Download webpages"], current: 5, total: 10, status: "example.org/page5"
                ))
        ),
        (
            "@progress 7/? Scanning",
            .progress(ProgressUpdate(group: ["Scanning"], current: 7, total: nil))
        ),
        // Variants of the text form.
        ("@progress 12/10", .progress(ProgressUpdate(group: [], current: 12, total: 10))),
        ("@progress 0/0", .progress(ProgressUpdate(group: [], current: 0, total: 0))),
        (
            "@progress 1/2 -- only a status",
            .progress(ProgressUpdate(group: [], current: 1, total: 2, status: "only a status"))
        ),
        (
            "@progress 1/2  a  ::b::  c ",
            .progress(ProgressUpdate(group: ["a", "b", "c"], current: 1, total: 2))
        ),
        (
            "@progress 1/2 a -- b -- c",
            .progress(ProgressUpdate(group: ["a"], current: 1, total: 2, status: "b -- c"))
        ),
        (
            "@progress 1/2 http://x.org/a",
            .progress(ProgressUpdate(group: ["http://x.org/a"], current: 1, total: 2))
        ),
        ("@progress 1/2 a --b", .progress(ProgressUpdate(group: ["a --b"], current: 1, total: 2))),
        // A trailing ` --` (or ` -- ` and spaces) is an empty status: none.
        ("@progress 1/2 --", .progress(ProgressUpdate(group: [], current: 1, total: 2))),
        ("@progress 1/2 a --", .progress(ProgressUpdate(group: ["a"], current: 1, total: 2))),
        ("@progress 1/2 a --  ", .progress(ProgressUpdate(group: ["a"], current: 1, total: 2))),
        ("@progress 1/2 a --  x", .progress(ProgressUpdate(group: ["a"], current: 1, total: 2, status: "x"))),
        // The JSON form.
        (
            #"@progress {"group": ["a", "b"], "current": 3, "total": 10, "status": "x"}"#,
            .progress(ProgressUpdate(group: ["a", "b"], current: 3, total: 10, status: "x"))
        ),
        (
            #"@progress {"group": ["a :: b", "c -- d"], "current": 1, "total": "?"}"#,
            .progress(ProgressUpdate(group: ["a :: b", "c -- d"], current: 1, total: nil))
        ),
        (
            #"@progress {"current": 1, "total": 4}"#,
            .progress(ProgressUpdate(group: [], current: 1, total: 4))
        ),
        (
            #"@progress {"group": [], "current": 1, "total": null}"#,
            .progress(ProgressUpdate(group: [], current: 1, total: nil))
        ),
        // @retval, @skip, @log.
        (
            #"@retval {"rows": 120, "path": "out/x.csv"}"#,
            .retval(#"{"rows": 120, "path": "out/x.csv"}"#)
        ),
        ("@retval", .retval("")),
        ("@retval ", .retval("")),
        ("@retval  two spaces ", .retval(" two spaces ")),
        ("@skip", .skip(reason: nil)),
        ("@skip upstream data has not changed", .skip(reason: "upstream data has not changed")),
        ("@log debug a b  c", .log(level: .debug, message: "a b  c")),
        ("@log info x", .log(level: .info, message: "x")),
        ("@log warning x", .log(level: .warning, message: "x")),
        ("@log error x", .log(level: .error, message: "x")),
        ("@log critical x", .log(level: .critical, message: "x")),
        ("@log info", .log(level: .info, message: "")),
    ]

    @Test(arguments: directives)
    func directiveLines(line: String, expected: ParsedLine) {
        var parser = ProtocolParser()
        #expect(parser.parseLine(line) == expected)
    }

    static let outputLines: [(String, ParsedLine)] = [
        ("plain text", .output(escaped: false)),
        ("", .output(escaped: false)),
        ("@", .output(escaped: false)),
        ("@@progress 1/2", .output(escaped: true)),
        ("@@", .output(escaped: true)),
        (" @progress 1/2", .output(escaped: false)),
        ("@progressive 1/2", .output(escaped: false)),
        ("@progress\t1/2", .output(escaped: false)),
        ("@retval2 x", .output(escaped: false)),
        ("@unknown directive", .output(escaped: false)),
        ("@PROGRESS 1/2", .output(escaped: false)),
        ("@skipped", .output(escaped: false)),
        ("@stop-directives tok", .output(escaped: false)),
    ]

    @Test(arguments: outputLines)
    func ordinaryLines(line: String, expected: ParsedLine) {
        var parser = ProtocolParser()
        #expect(parser.parseLine(line) == expected)
    }

    static let unusableValues: [([UInt8], String)] = [
        ([64, 114, 101, 116, 118, 97, 108, 32, 97, 0, 98],  // "@retval a\0b"
         "malformed @retval: a value cannot hold a NUL byte; nothing was set"),
        ([64, 114, 101, 116, 118, 97, 108, 32, 97, 0xFF, 99],  // "@retval a\xFFc"
         "malformed @retval: the value is not UTF-8 text; nothing was set"),
    ]

    /// Bytes a value cannot carry to a dependent unchanged set nothing.
    @Test(arguments: unusableValues)
    func aValueThatCannotReachDependentsUnchangedIsMalformed(bytes: [UInt8], warning: String) {
        var parser = ProtocolParser()
        let parsed = bytes.withUnsafeBufferPointer { parser.parseLine($0) }
        #expect(parsed == .malformed(warning: warning))
        let valid: [UInt8] = Array("@retval é ok".utf8)
        #expect(valid.withUnsafeBufferPointer { parser.parseLine($0) } == .retval("é ok"))
    }

    static let malformed: [(String, String)] = [
        ("@progress", "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?"),
        ("@progress ", "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?"),
        (
            "@progress abc",
            "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got 'abc'"
        ),
        ("@progress 3", "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got '3'"),
        (
            "@progress 3/",
            "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got '3/'"
        ),
        (
            "@progress /3",
            "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got '/3'"
        ),
        (
            "@progress -1/3",
            "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got '-1/3'"
        ),
        (
            "@progress ?/3",
            "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got '?/3'"
        ),
        (
            "@progress 3/10abc x",
            "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got '3/10abc'"
        ),
        (
            "@progress 1.5/3",
            "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got '1.5/3'"
        ),
        (
            "@progress 3/??",
            "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got '3/??'"
        ),
        (
            "@progress 99999999999999999999/1",
            "malformed @progress: number too large in '99999999999999999999/1'"
        ),
        ("@progress 1/2 a :: :: b", "malformed @progress: empty group name in 'a :: :: b'"),
        ("@progress 1/2 :: b", "malformed @progress: empty group name in ':: b'"),
        ("@progress 1/2 a ::", "malformed @progress: empty group name in 'a ::'"),
        ("@progress {", "malformed @progress: not valid JSON"),
        (#"@progress {"group": ["a", ""], "current": 1}"#, "malformed @progress: empty group name in 'group'"),
        (#"@progress {"group": [" "], "current": 1}"#, "malformed @progress: empty group name in 'group'"),
        (#"@progress {"total": 3}"#, "malformed @progress: JSON form needs 'current'"),
        (
            #"@progress {"current": "3", "total": 3}"#,
            "malformed @progress: 'current' must be a non-negative integer"
        ),
        (
            #"@progress {"current": 1.5, "total": 3}"#,
            "malformed @progress: 'current' must be a non-negative integer"
        ),
        (
            #"@progress {"current": null, "total": 3}"#,
            "malformed @progress: 'current' must be a non-negative integer"
        ),
        (
            #"@progress {"current": 1, "total": true}"#,
            "malformed @progress: 'total' must be a non-negative integer or \"?\""
        ),
        (
            #"@progress {"current": -1, "total": 3}"#,
            "malformed @progress: 'current' must not be negative"
        ),
        (
            #"@progress {"current": 1, "total": -3}"#,
            "malformed @progress: 'total' must not be negative"
        ),
        (
            #"@progress {"current": 1, "total": "x"}"#,
            "malformed @progress: 'total' must be a non-negative integer or \"?\""
        ),
        (
            #"@progress {"group": "a", "current": 1, "total": 2}"#,
            "malformed @progress: 'group' must be an array of strings"
        ),
        (
            #"@progress {"current": 1, "total": 2, "status": 5}"#,
            "malformed @progress: 'status' must be a string"
        ),
        (
            "@log",
            "malformed @log: expected LEVEL MESSAGE, LEVEL one of debug, info, warning, error or critical"
        ),
        (
            "@log warn low disk",
            "malformed @log: unknown level 'warn', expected debug, info, warning, error or critical; did you mean 'warning'?"
        ),
        (
            "@log INFO x",
            "malformed @log: unknown level 'INFO', expected debug, info, warning, error or critical; did you mean 'info'?"
        ),
        (
            "@log eror x",
            "malformed @log: unknown level 'eror', expected debug, info, warning, error or critical; did you mean 'error'?"
        ),
        (
            "@log loud x",
            "malformed @log: unknown level 'loud', expected debug, info, warning, error or critical"
        ),
        ("@stop-directives", "malformed @stop-directives: expected one TOKEN word after it"),
        ("@stop-directives a b", "malformed @stop-directives: expected one TOKEN word after it"),
        ("@resume-directives tok", "malformed @resume-directives: directives are not stopped"),
    ]

    @Test(arguments: malformed)
    func malformedDirectivesAreOutputWithAWarning(line: String, warning: String) {
        var parser = ProtocolParser()
        #expect(parser.parseLine(line) == .malformed(warning: warning))
    }

    /// A group path may have 32 levels; a deeper one (a tester's 150,000
    /// levels made the tree and its drawing grow with the square of the
    /// line) is malformed, in both forms, and is not parsed to its end.
    @Test func groupPathsDeeperThan32LevelsAreMalformed() {
        let tooDeep = "malformed @progress: group path has more than 32 levels"
        let names32 = [String](repeating: "a", count: 32)
        var parser = ProtocolParser()
        #expect(
            parser.parseLine("@progress 1/2 " + names32.joined(separator: " :: "))
                == .progress(ProgressUpdate(group: names32, current: 1, total: 2)))
        let names33 = names32 + ["b"]
        #expect(
            parser.parseLine("@progress 1/2 " + names33.joined(separator: " :: ") + " -- s")
                == .malformed(warning: tooDeep))
        let huge = [String](repeating: "a", count: 150_000).joined(separator: " :: ")
        #expect(parser.parseLine("@progress 1/2 " + huge) == .malformed(warning: tooDeep))
        let json33 = "[" + names33.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        #expect(
            parser.parseLine(#"@progress {"current": 1, "group": "# + json33 + "}")
                == .malformed(warning: tooDeep))
    }

    @Test func stopDirectivesUntilTheSameToken() {
        var parser = ProtocolParser()
        let lines: [(String, ParsedLine)] = [
            ("@stop-directives r4nd0m", .output(escaped: false)),
            ("@retval /", .output(escaped: false)),
            ("@@escaped", .output(escaped: false)),
            ("@resume-directives wrong", .output(escaped: false)),
            ("@stop-directives other", .output(escaped: false)),
            ("@resume-directives r4nd0m", .output(escaped: false)),
            ("@retval ok", .retval("ok")),
        ]
        for (line, expected) in lines {
            #expect(parser.parseLine(line) == expected, "\(line)")
        }
        #expect(!parser.directivesStopped)
    }

    @Test(arguments: [
        ("crawl", "JCRUN_RETVAL_CRAWL"),
        ("crawl_example.org", "JCRUN_RETVAL_CRAWL_EXAMPLE_ORG"),
        ("a-b--c", "JCRUN_RETVAL_A_B__C"),
        ("Report2", "JCRUN_RETVAL_REPORT2"),
        ("café", "JCRUN_RETVAL_CAF_"),
        ("日本", "JCRUN_RETVAL___"),
        ("x👩‍👩‍👧y", "JCRUN_RETVAL_X_Y"),
    ])
    func retvalVariableNames(job: String, name: String) {
        #expect(RunSpec.retvalVariableName(for: job) == name)
    }

    @Test(arguments: [
        (SIGTERM, "SIGTERM"), (SIGKILL, "SIGKILL"), (SIGINT, "SIGINT"), (SIGHUP, "SIGHUP"),
        (SIGSEGV, "SIGSEGV"), (Int32(36), "SIGRTMIN+2"),
    ])
    func signalNames(number: Int32, name: String) {
        #expect(SignalName.of(number) == name)
        #expect(SignalName.number(of: name) == number)
    }
}
