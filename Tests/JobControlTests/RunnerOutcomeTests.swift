import Foundation
import Testing

@testable import JobControl

/// PROTOCOL.md's outcome table, one real child process per row.
@Suite struct RunnerOutcomeTests {
    @Test func exitZeroIsSuccessful() {
        let (outcome, log, _) = runScript("echo hello\n")
        #expect(outcome == RunOutcome(termination: .exited(0)))
        #expect(log.lines(.stdout) == ["hello"])
        #expect(log.pid != nil)
    }

    @Test func exitZeroAfterSkipIsSkippedWithTheReason() {
        let (outcome, log, _) = runScript("echo '@skip input unchanged'\nexit 0\n")
        #expect(
            outcome
                == RunOutcome(termination: .exited(0), skipped: true, skipReason: "input unchanged")
        )
        #expect(outcome.buildStatus == .successful || outcome.buildStatus == .skipped)
        #expect(outcome.buildStatus == .skipped)
        #expect(log.reported == [.skip(reason: "input unchanged")])
    }

    @Test func skipThenExitOneIsAFailure() {
        let (outcome, _, _) = runScript("echo @skip\nexit 1\n")
        #expect(outcome.termination == .exited(1))
        #expect(outcome.buildStatus == .failed)
        #expect(outcome.failureKind == .exit)
    }

    @Test func exitNIsAFailureOfKindExit() {
        let (outcome, _, _) = runScript("exit 3\n")
        #expect(outcome.termination == .exited(3))
        #expect(outcome.failureKind == .exit)
    }

    @Test func retvalThenExitOneIsReportedButTheBuildFails() {
        let (outcome, _, _) = runScript("echo '@retval out/x.csv'\nexit 1\n")
        #expect(outcome.retval == "out/x.csv")
        #expect(outcome.buildStatus == .failed)
        #expect(outcome.storedRetval == nil)
    }

    @Test func killedBySignalIsNamed() {
        let (outcome, _, _) = runScript("kill -KILL $$\n")
        #expect(outcome.termination == .signaled(SIGKILL, "SIGKILL"))
        #expect(outcome.failureKind == .signal)
    }

    @Test func timeoutStopsTheWholeGroupIncludingAGrandchildThatIgnoresSIGTERM() throws {
        let script = """
            sh -c 'trap "" TERM; echo $$ > grandchild.pid; while :; do sleep 0.1; done' &
            while [ ! -s grandchild.pid ]; do sleep 0.05; done
            echo ready
            wait
            """
        let (outcome, log, dir) = runScript(script, timeout: 1, stopGrace: 1)
        #expect(outcome.termination == .timedOut(after: 1))
        #expect(outcome.failureKind == .timeout)
        #expect(log.lines(.stdout) == ["ready"])
        let text = try String(contentsOfFile: dir.path + "/grandchild.pid", encoding: .utf8)
        let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(becomesDead(pid))
    }

    @Test func interruptSendsTheSignalThenKillsAfterGrace() {
        let control = RunControl()
        let script = "trap '' INT\necho waiting\nwhile :; do sleep 0.1; done\n"
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
            control.interrupt(signal: SIGINT)
        }
        let (outcome, log, _) = runScript(script, stopGrace: 1, control: control)
        #expect(outcome.termination == .interrupted(SIGINT))
        #expect(outcome.failureKind == .interrupted)
        #expect(log.lines(.stdout) == ["waiting"])
    }

    @Test func interruptReachesGrandchildrenAndKillsThoseThatIgnoreIt() throws {
        let control = RunControl()
        let script = """
            sh -c 'trap "" TERM; echo $$ > stubborn.pid; while :; do sleep 0.1; done' &
            sh -c 'trap "echo polite-got-term; exit 0" TERM; echo $$ > polite.pid; while :; do sleep 0.1; done' &
            while [ ! -s stubborn.pid ] || [ ! -s polite.pid ]; do sleep 0.05; done
            echo ready
            wait
            """
        let ready = DispatchSemaphore(value: 0)
        let log = EventLog()
        let dir = ScratchDir()
        let file = dir.write("job.sh", script)
        let spec = RunSpec(
            argv: ["/bin/sh", file], environment: baseEnvironment, workdir: dir.path, stopGrace: 1)
        DispatchQueue.global().async {
            ready.wait()
            control.interrupt(signal: SIGTERM)
        }
        let outcome = ProcessLauncher().run(spec, control: control) { event in
            log.append(event)
            let ready1 = RunEvent.output(stream: .stdout, text: "ready", raw: nil, continued: false)
            if case .outputLines(let lines) = event, lines.events().contains(ready1) {
                ready.signal()
            }
        }
        #expect(outcome.termination == .interrupted(SIGTERM))
        #expect(Set(log.lines(.stdout)) == ["ready", "polite-got-term"])
        for name in ["stubborn.pid", "polite.pid"] {
            let text = try String(contentsOfFile: dir.path + "/" + name, encoding: .utf8)
            let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(becomesDead(pid), "\(name)")
        }
    }

    @Test func interruptImmediatelyKillsAtOnce() {
        let control = RunControl()
        let script = "trap '' TERM\nwhile :; do sleep 0.1; done\n"
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
            control.interrupt(signal: SIGTERM, immediately: true)
        }
        let (outcome, _, _) = runScript(script, stopGrace: 30, control: control)
        #expect(outcome.termination == .interrupted(SIGTERM))
    }

    @Test func anInterruptBeforeStartStartsNothing() {
        let control = RunControl()
        control.interrupt(signal: SIGHUP)
        let (outcome, log, _) = runScript("echo never\n", control: control)
        #expect(outcome.termination == .interrupted(SIGHUP))
        #expect(log.all.isEmpty)
    }

    @Test(arguments: [
        (
            ["nosuch-jcrun-program"], 127,
            "program 'nosuch-jcrun-program' not found in PATH (/usr/bin:/bin)"
        ),
        (["/nonexistent/jcrun/prog"], 127, "program '/nonexistent/jcrun/prog' not found"),
    ])
    func aMissingProgramFailsToStart(argv: [String], code: Int32, message: String) {
        let dir = ScratchDir()
        let spec = RunSpec(argv: argv, environment: baseEnvironment, workdir: dir.path)
        let outcome = ProcessLauncher().run(spec, control: RunControl()) { _ in }
        #expect(outcome.termination == .startFailed(code: code, message: message))
        #expect(outcome.failureKind == .startFailed)
    }

    @Test func aProgramThatIsNotExecutableFailsWith126() {
        let dir = ScratchDir()
        let file = dir.write("plain.sh", "echo hi\n", executable: false)
        let spec = RunSpec(argv: [file], environment: baseEnvironment, workdir: dir.path)
        let outcome = ProcessLauncher().run(spec, control: RunControl()) { _ in }
        #expect(
            outcome.termination
                == .startFailed(code: 126, message: "program '\(file)' is not executable"))
    }

    @Test func aFolderAsTheProgramIsSaidToBeOne() {
        let dir = ScratchDir()
        let spec = RunSpec(argv: [dir.path], environment: baseEnvironment, workdir: dir.path)
        let outcome = ProcessLauncher().run(spec, control: RunControl()) { _ in }
        #expect(
            outcome.termination
                == .startFailed(
                    code: 126, message: "program '\(dir.path)' is not executable (it is a folder)"))
    }

    @Test func aMissingWorkdirFailsWith126() {
        let dir = ScratchDir()
        let missing = dir.path + "/gone"
        for argv in [["true"], ["/bin/true"]] {
            let spec = RunSpec(argv: argv, environment: baseEnvironment, workdir: missing)
            let outcome = ProcessLauncher().run(spec, control: RunControl()) { _ in }
            #expect(
                outcome.termination
                    == .startFailed(code: 126, message: "workdir '\(missing)' does not exist"))
        }
    }
}
