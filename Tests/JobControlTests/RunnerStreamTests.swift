import Foundation
import Testing

@testable import JobControl

/// How the runner reads a job's stdout, stderr and descriptor 3.
@Suite struct RunnerStreamTests {
    @Test func stdoutAndStderrAreLoggedPerStreamInOrder() {
        let (_, log, _) = runScript("echo one\necho two >&2\necho three\n")
        #expect(log.lines(.stdout) == ["one", "three"])
        #expect(log.lines(.stderr) == ["two"])
    }

    @Test func crlfLosesOneCarriageReturnAndTheLastLineNeedsNoNewline() {
        let (_, log, _) = runScript("printf 'a\\r\\nb\\r\\r\\nlast'\n")
        #expect(log.lines(.stdout) == ["a", "b\r", "last"])
    }

    @Test func invalidUTF8IsKeptAsRawBytes() {
        let (_, log, _) = runScript("printf 'ok\\n\\377\\376x\\n'\n")
        let outputs = log.all.filter { if case .output = $0 { return true } else { return false } }
        #expect(outputs.count == 2)
        #expect(outputs.first == .output(stream: .stdout, text: "ok", raw: nil, continued: false))
        #expect(
            outputs.last
                == .output(
                    stream: .stdout, text: "\u{FFFD}\u{FFFD}x", raw: [0xFF, 0xFE, 0x78],
                    continued: false))
    }

    @Test func aMegabyteToStderrBeforeAnyStdoutDoesNotDeadlock() {
        let script = "head -c 1048576 /dev/zero | tr '\\0' 'e' | fold -w 1023 >&2\necho done\n"
        let (outcome, log, _) = runScript(script)
        #expect(outcome.termination == .exited(0))
        #expect(log.lines(.stdout) == ["done"])
        #expect(log.lines(.stderr).reduce(0) { $0 + $1.utf8.count } == 1_048_576)
    }

    @Test func a200KBLineWithoutNewlineComesInContinuedPieces() {
        let (_, log, _) = runScript("head -c 200000 /dev/zero | tr '\\0' 'x'\n")
        let pieces: [(Int, Bool)] = log.all.compactMap {
            if case .output(.stdout, let text, nil, let continued) = $0 {
                return (text.utf8.count, continued)
            }
            return nil
        }
        #expect(pieces.map(\.0) == [65536, 65536, 65536, 3392])
        #expect(pieces.map(\.1) == [true, true, true, false])
    }

    @Test func aThousandProgressLinesInOneWrite() {
        let script =
            "i=1; while [ $i -le 1000 ]; do echo \"@progress $i/1000 files\"; i=$((i+1)); done > all.txt\ncat all.txt\n"
        let (_, log, _) = runScript(script)
        let updates = log.all.compactMap {
            if case .progress(let u) = $0 { return u } else { return nil }
        }
        #expect(updates.count == 1000)
        #expect(updates.last == ProgressUpdate(group: ["files"], current: 1000, total: 1000))
        #expect(log.lines(.stdout).isEmpty)
    }

    @Test func directivesBecomeEvents() {
        let script = """
            echo '@progress 5/10 Download webpages -- example.org/page5'
            echo '@retval {"rows": 120}'
            echo '@log error disk almost full'
            echo '@@progress 1/2'
            echo '@unknown word'
            echo '@progress abc'
            echo '@retval final'
            """
        let (outcome, log, _) = runScript(script)
        #expect(
            log.reported == [
                .progress(
                    ProgressUpdate(
                        group: ["Download webpages"], current: 5, total: 10,
                        status: "example.org/page5")),
                .retval("{\"rows\": 120}"),
                .log(level: .error, message: "disk almost full"),
                .output(stream: .stdout, text: "@progress 1/2", raw: nil, continued: false),
                .output(stream: .stdout, text: "@unknown word", raw: nil, continued: false),
                .output(stream: .stdout, text: "@progress abc", raw: nil, continued: false),
                .notice(
                    level: .warning,
                    message:
                        "malformed @progress: expected CURRENT/TOTAL such as 3/10 or 7/?, got 'abc'"
                ),
                .retval("final"),
            ])
        #expect(outcome.retval == "final")
    }

    @Test func stopAndResumeDirectivesLogTheUntrustedTextBetween() {
        let script =
            "echo '@stop-directives k3y'\necho '@retval /'\necho '@resume-directives nope'\necho '@resume-directives k3y'\necho '@retval ok'\n"
        let (outcome, log, _) = runScript(script)
        #expect(
            log.lines(.stdout) == [
                "@stop-directives k3y", "@retval /", "@resume-directives nope",
                "@resume-directives k3y",
            ])
        #expect(outcome.retval == "ok")
    }

    @Test func fdModeReadsDirectivesFromDescriptor3Only() {
        let script =
            "echo '@retval from-stdout'\necho '@retval from-fd' >&\"$JCRUN_DIRECTIVE_FD\"\n"
        let (outcome, log, _) = runScript(script, directives: .fd)
        #expect(outcome.retval == "from-fd")
        #expect(log.lines(.stdout) == ["@retval from-stdout"])
    }

    @Test func descriptor3CarriesDirectivesInStdoutModeToo() {
        let (outcome, _, _) = runScript("echo '@retval via-fd' >&3\n")
        #expect(outcome.retval == "via-fd")
    }

    @Test func offModeLogsEverythingAndWarnsAboutDescriptor3() {
        let script = "echo '@retval a'\necho '@retval b' >&3\necho '@skip c' >&3\n"
        let (outcome, log, _) = runScript(script, directives: .off)
        #expect(outcome.retval == nil)
        #expect(!outcome.skipped)
        #expect(log.lines(.stdout) == ["@retval a", "@retval b", "@skip c"])
        #expect(
            log.warnings == [
                "directives are off for this job: what it writes to descriptor 3 is logged as output"
            ])
    }

    @Test func secretsAreMaskedEverywhere() {
        let script = """
            echo "token=s3cr3t-value and line2"
            echo "second-line-of-key" >&2
            echo '@retval s3cr3t-value'
            echo '@log info using s3cr3t-value'
            echo '@progress 1/2 s3cr3t-value -- s3cr3t-value'
            echo '@skip s3cr3t-value'
            """
        let (outcome, log, _) = runScript(
            script, secrets: ["s3cr3t-value", "first-line\nsecond-line-of-key\n"])
        let fromStdout = log.reported.filter {
            $0 != .output(stream: .stderr, text: "***", raw: nil, continued: false)
        }
        #expect(
            fromStdout == [
                .output(stream: .stdout, text: "token=*** and line2", raw: nil, continued: false),
                .retval("***"),
                .log(level: .info, message: "using ***"),
                .progress(ProgressUpdate(group: ["***"], current: 1, total: 2, status: "***")),
                .skip(reason: "***"),
            ])
        #expect(log.lines(.stderr) == ["***"])
        #expect(outcome.retval == "***")
        #expect(!log.all.description.contains("s3cr3t"))
        #expect(!log.all.description.contains("second-line-of-key"))
    }

    @Test func environmentIsExactlyWhatTheSpecSays() {
        let environment = ["PATH": "/usr/bin:/bin", "ONLY_THIS": "yes", "JCRUN_JOB_ID": "j"]
        let (_, log, _) = runScript("env | LC_ALL=C sort\n", environment: environment)
        #expect(
            log.lines(.stdout).filter { !$0.hasPrefix("PWD=") } == [
                "JCRUN_JOB_ID=j", "ONLY_THIS=yes", "PATH=/usr/bin:/bin",
            ])
    }

    @Test func stdinIsDevNullAndTheJobHasItsOwnSession() {
        let script = "cat; echo \"read:$?\"\nps -o sid= -p $$ | tr -d ' '\necho $$\n"
        let (_, log, _) = runScript(script)
        let lines = log.lines(.stdout)
        #expect(lines.count == 3)
        #expect(lines.first == "read:0")
        #expect(lines.count == 3 && lines[1] == lines[2])
    }

    @Test func aJobThatClosesStdoutEarlyIsStillWaitedFor() {
        let script = "exec 1>&- 3>&-\nsleep 0.5\necho finished >&2\nexit 4\n"
        let (outcome, log, _) = runScript(script)
        #expect(outcome.termination == .exited(4))
        #expect(log.lines(.stderr) == ["finished"])
    }

    @Test func aGrandchildHoldingTheOutputOpenDoesNotHangTheRunner() {
        let script = "sleep 30 &\necho $! > bg.pid\necho parent-done\n"
        let (outcome, log, dir) = runScript(script)
        #expect(outcome.termination == .exited(0))
        #expect(log.lines(.stdout) == ["parent-done"])
        #expect(
            log.warnings == [
                "processes started by the job still hold its output open after it exited; their further output is not logged",
                "1 process started by the job still ran after it exited; jcrun sent SIGTERM to its process group (SIGKILL after 1s)",
            ])
        if let text = try? String(contentsOfFile: dir.path + "/bg.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            #expect(becomesDead(pid))  // stopped with the job's group
            kill(pid, SIGKILL)  // the test's own leftover, should the runner have missed it
        }
    }

    @Test(.bug(id: 4)) func aLeftoverThatIgnoresSIGTERMIsKilledAfterTheGrace() {
        let script = "sh -c 'trap \"\" TERM; exec sleep 300' >/dev/null 2>&1 3>&- &\necho $! > bg.pid\n"
        let (outcome, log, dir) = runScript(script, stopGrace: 1)
        #expect(outcome.termination == .exited(0))
        #expect(
            log.warnings == [
                "1 process started by the job still ran after it exited; jcrun sent SIGTERM to its process group (SIGKILL after 1s)"
            ])
        if let text = try? String(contentsOfFile: dir.path + "/bg.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            #expect(becomesDead(pid))
            kill(pid, SIGKILL)  // the test's own leftover, should the runner have missed it
        }
    }
}
