import Foundation
import Testing

@testable import JobControl

/// Long lines, the parent-death signal, and several jobs at once.
@Suite struct RunnerLimitsTests {
    @Test func aRetvalLongerThanOneMebibyteSetsNothingAndIsLoggedInPieces() {
        let script =
            "printf '@retval '; head -c 1100000 /dev/zero | tr '\\0' 'v'; echo\necho '@retval short'\n"
        let (outcome, log, _) = runScript(script)
        #expect(outcome.retval == "short")
        #expect(
            log.warnings == ["@retval line longer than 1 MiB sets nothing; it is logged as output"])
        let pieces: [(Int, Bool)] = log.all.compactMap {
            if case .output(.stdout, let text, nil, let continued) = $0 {
                return (text.utf8.count, continued)
            }
            return nil
        }
        #expect(pieces.reduce(0) { $0 + $1.0 } == 1_100_008)
        #expect(pieces.allSatisfy { $0.0 <= 65536 })
        #expect(pieces.map(\.1) == Array(repeating: true, count: pieces.count - 1) + [false])
    }

    @Test func aRetvalJustUnderOneMebibyteIsReadWhole() {
        let script = "printf '@retval '; head -c 1000000 /dev/zero | tr '\\0' 'v'; echo\n"
        let (outcome, log, _) = runScript(script)
        #expect(outcome.retval?.utf8.count == 1_000_000)
        #expect(log.lines(.stdout).isEmpty)
    }

    @Test func aLongEscapedLineLosesOnlyItsFirstAt() {
        let script = "printf '@@'; head -c 70000 /dev/zero | tr '\\0' 'a'; echo\n"
        let (_, log, _) = runScript(script)
        let text = log.lines(.stdout).joined()
        #expect(text.utf8.count == 70001)
        #expect(text.hasPrefix("@a"))
    }

    @Test func aPieceBoundaryNeverSplitsASecretOrAUTF8Character() {
        // 65535 bytes of 'x', then the secret across the 64 KiB mark, then é's.
        let script =
            "head -c 65530 /dev/zero | tr '\\0' 'x'; printf 'TOPSECRET'; head -c 70000 /dev/zero | tr '\\0' 'x' | sed 's/x/é/g'; echo\n"
        let (_, log, _) = runScript(script, secrets: ["TOPSECRET"])
        let outputs: [(String, [UInt8]?)] = log.all.compactMap {
            if case .output(.stdout, let text, let raw, _) = $0 {
                return (text, raw)
            } else {
                return nil
            }
        }
        #expect(outputs.allSatisfy { $0.1 == nil })
        let whole = outputs.map(\.0).joined()
        #expect(whole.contains("***"))
        #expect(!whole.contains("SECRET"))
        #expect(!whole.contains("\u{FFFD}"))
    }

    @Test func stderrIsNeverParsed() {
        let (outcome, log, _) = runScript("echo '@retval x' >&2\necho '@@y' >&2\n")
        #expect(outcome.retval == nil)
        #expect(log.lines(.stderr) == ["@retval x", "@@y"])
    }

    @Test func aChildDiesWithTheThreadThatStartedIt() throws {
        let dir = ScratchDir()
        let spec = RunSpec(argv: ["sleep", "30"], environment: baseEnvironment, workdir: dir.path)
        let box = Counter()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            if case .success(let child) = ChildProcess.start(spec) {
                box.set(Int(child.pid))
            }
            done.signal()
        }
        thread.start()
        done.wait()
        let pid = Int32(box.value)
        #expect(pid > 0)
        #expect(becomesDead(pid))
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(status & 0x7f == SIGKILL)
    }

    @Test func severalJobsAtOnceEachSeeOnlyTheirOwnOutput() {
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let (outcome, log, _) = runScript(
                "i=0; while [ $i -lt 200 ]; do echo \(index)-$i; i=$((i+1)); done\nexit \(index)\n")
            let expected = (0..<200).map { "\(index)-\($0)" }
            results.record(
                outcome.termination == .exited(Int32(index)) && log.lines(.stdout) == expected)
        }
        #expect(results.all == Array(repeating: true, count: 8))
    }

    @Test func aJobThatHandlesSIGTERMEndsTimedOutBeforeTheGrace() {
        let script = "trap 'echo stopping; exit 0' TERM\nwhile :; do sleep 0.1; done\n"
        let (outcome, log, _) = runScript(script, timeout: 1, stopGrace: 30)
        #expect(outcome.termination == .timedOut(after: 1))
        #expect(log.lines(.stdout) == ["stopping"])
    }
}

/// Booleans recorded from several threads.
final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Bool] = []
    func record(_ value: Bool) { lock.withLock { values.append(value) } }
    var all: [Bool] { lock.withLock { values } }
}
