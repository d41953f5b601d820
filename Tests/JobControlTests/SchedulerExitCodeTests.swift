import Foundation
import Testing

@testable import JobControl

/// DESIGN.md's exit codes and their precedence: signal, 70, 2, 1, 3, 75, 0.
@Suite struct SchedulerExitCodeTests {
    private static func build(_ job: JobID, _ status: BuildStatus, attempt: Int = 1) -> BuildRecord {
        BuildRecord(id: 1, job: job, status: status, attempt: attempt, createdAt: testNow)
    }

    private static func summary(
        builds: [BuildRecord] = [], leftOut: [LeftOut] = [], signal: Int32? = nil, lock: Bool = false,
        errors: [String] = []
    ) -> RunSummary {
        RunSummary(
            builds: builds, leftOut: leftOut, interruptedBy: signal, lockNotObtained: lock, errors: errors,
            startedAt: testNow, finishedAt: testNow)
    }

    static let cases: [(name: String, summary: RunSummary, code: Int32)] = [
        ("nothing to do", summary(), 0),
        ("all successful or skipped", summary(builds: [build("a", .successful), build("b", .skipped)]), 0),
        ("protected used as is", summary(leftOut: [LeftOut(job: "p", why: .protectedUsedAsIs(3))]), 0),
        ("a retry succeeded", summary(builds: [build("a", .failed), build("a", .successful, attempt: 2)]), 0),
        ("lock not obtained", summary(lock: true), 75),
        ("missing dependency", summary(leftOut: [LeftOut(job: "a", why: .missingDependency)], lock: true), 3),
        ("protected without build", summary(leftOut: [LeftOut(job: "p", why: .protectedWithoutBuild)]), 3),
        ("a build failed", summary(builds: [build("a", .failed)], leftOut: [LeftOut(job: "b", why: .missingDependency)]), 1),
        ("the store failed", summary(builds: [build("a", .failed)], errors: ["disk full"]), 2),
        ("SIGHUP", summary(builds: [build("a", .failed)], signal: SIGHUP, errors: ["x"]), 129),
        ("SIGINT", summary(signal: SIGINT), 130),
        ("SIGTERM", summary(signal: SIGTERM, lock: true), 143),
    ]

    @Test(arguments: cases.indices)
    func theExitCodeFollowsThePrecedence(index: Int) {
        let (name, summary, code) = Self.cases[index]
        #expect(summary.exitCode == code, "\(name)")
    }

    @Test func statusesCombineByPrecedence() {
        let order: [ExitReason] = [
            .success, .lockNotObtained, .missingDependency, .failed, .usage, .internalError, .interrupted(signal: 2),
        ]
        #expect(order.map(\.code) == [0, 75, 3, 1, 2, 70, 130])
        for (low, lower) in order.enumerated() {
            for higher in order[low...] {
                #expect(lower.combined(with: higher) == higher)
                #expect(higher.combined(with: lower) == higher)
            }
        }
    }
}
