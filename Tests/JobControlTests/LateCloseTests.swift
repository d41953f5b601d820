import Foundation
import Testing

@testable import JobControl

/// A finished job's pipes and pidfd are closed once the next job started
/// (issue #4), or when the scheduler's run ends: never left open for good.
@Suite struct LateCloseTests {
    /// Whether the pipe whose write end is `writeEnd` still has a reader.
    private func hasReader(_ writeEnd: Int32) -> Bool {
        var entry = pollfd(fd: writeEnd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&entry, 1, 0)
        return entry.revents & Int16(POLLERR) == 0
    }

    @Test func aDescriptorAddedIsClosedByCloseAll() {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[1]) }
        LateClose.add(ends[0])
        LateClose.closeAll()
        #expect(!hasReader(ends[1]))
    }

    /// The read end of a job's pipe that ended is closed by the next job's start.
    @Test func theNextStartClosesTheLastJobsPipes() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[1]) }
        LateClose.add(ends[0])
        let spec = RunSpec(argv: ["/bin/true"], environment: [:], workdir: "/")
        let outcome = ProcessLauncher().run(spec, control: RunControl()) { _ in }
        #expect(outcome.termination == .exited(0))
        #expect(!hasReader(ends[1]))
    }
}
