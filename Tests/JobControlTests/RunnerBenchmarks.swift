import Foundation
import JobControl
import Testing

/// Figures for the report, not assertions: run with
/// `JCRUN_BENCH=1 swift test --filter RunnerBenchmarks` (best in release).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["JCRUN_BENCH"] == "1"))
struct RunnerBenchmarks {
    static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func peakRSSKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }

    @Test func thousandTrueJobsAgainstAShellLoop() {
        let launcher = ProcessLauncher()
        let spec = RunSpec(argv: ["true"], environment: ["PATH": "/usr/bin:/bin"], workdir: "/tmp")
        let loop = RunSpec(
            argv: ["/bin/sh", "-c", "i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done"],
            environment: ["PATH": "/usr/bin:/bin"], workdir: "/tmp")
        for _ in 0..<100 { _ = launcher.run(spec, control: RunControl()) { _ in } }
        for round in 1...3 {
            let shell = Self.seconds { _ = launcher.run(loop, control: RunControl()) { _ in } }
            let jobs = Self.seconds {
                for _ in 0..<1000 { _ = launcher.run(spec, control: RunControl()) { _ in } }
            }
            print(
                String(
                    format:
                        "bench round %d: 1000 true jobs %.3f s (%.3f ms/job), shell loop %.3f s (%.3f ms/job), overhead %+.3f ms/job",
                    round, jobs, jobs, shell, shell, jobs - shell))
        }
    }

    @Test func aJobPrintingAMillionLines() {
        let counter = Counter()
        let spec = RunSpec(
            argv: ["seq", "1", "1000000"], environment: ["PATH": "/usr/bin:/bin"], workdir: "/tmp")
        let before = Self.peakRSSKiB()
        let time = Self.seconds {
            _ = ProcessLauncher().run(spec, control: RunControl()) { _ in counter.add() }
        }
        print(
            String(
                format:
                    "bench 1,000,000 lines: %.3f s, %.0f lines/s, %d events, peak RSS %d KiB before, %d KiB after",
                time, 1e6 / time, counter.value, before, Self.peakRSSKiB()))
    }

    @Test func sixtyMegabytesWithoutANewline() {
        let counter = Counter()
        let spec = RunSpec(
            argv: ["/bin/sh", "-c", "head -c 60000000 /dev/zero | tr '\\0' x"],
            environment: ["PATH": "/usr/bin:/bin"], workdir: "/tmp")
        let before = Self.peakRSSKiB()
        let time = Self.seconds { _ = ProcessLauncher().run(spec, control: RunControl()) { _ in counter.add() } }
        print(
            String(
                format: "bench 60 MB on one line: %.3f s, %d events, peak RSS %d KiB before, %d KiB after",
                time, counter.value, before, Self.peakRSSKiB()))
    }

    @Test func progressParseRate() {
        let line = Array(
            "@progress 123/1000 http://example.com/foo.zip :: extracting -- file 123".utf8)
        var parser = ProtocolParser()
        var count = 0
        let time = Self.seconds {
            line.withUnsafeBufferPointer { bytes in
                for _ in 0..<1_000_000 {
                    if case .progress = parser.parseLine(bytes) { count += 1 }
                }
            }
        }
        print(
            String(
                format: "bench @progress parse: %d lines in %.3f s, %.0f lines/s", count, time,
                Double(count) / time))
    }
}

/// Counts events from the launcher's thread.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
    func set(_ value: Int) { lock.withLock { count = value } }
}
