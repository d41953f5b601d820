import Foundation
import Testing
@testable import JobControl

@Test func logLevelsAreOrderedBySeverity() {
    #expect(LogLevel.debug < .info)
    #expect(LogLevel.error < .critical)
    #expect(!(LogLevel.warning < .info))
}

@Test func onlyExitSignalAndTimeoutFailuresAreRetried() {
    #expect(FailureKind.allCases.filter(\.isRetried) == [.exit, .signal, .timeout])
}

/// `JobState` keeps its records in one shared box: what goes in comes out,
/// whichever way it was set, and equality is by value.
@Test func aJobStateGivesBackWhatItWasGiven() {
    let time = Date(timeIntervalSince1970: 1_000)
    let success = BuildRecord(id: 1, job: "j", status: .successful, createdAt: time)
    let failure = BuildRecord(id: 2, job: "j", status: .failed, failureKind: .exit, createdAt: time)
    var skip = success
    skip.reason = "same id, other content"
    let input = BuildInput(build: 1, dependency: "d", consumed: 7, retval: "v")

    let built = JobState(
        latest: failure, latestSuccessful: success, lastCheck: success, lastCheckInputs: [input],
        isRunning: true)
    #expect(built.latest == failure)
    #expect(built.latestSuccessful == success)
    #expect(built.lastCheck == success)
    #expect(built.lastCheckInputs == [input])
    #expect(built.isRunning)

    var set = JobState(latest: failure)
    set.latestSuccessful = success
    set.lastCheck = success
    set.lastCheckInputs = [input]
    set.isRunning = true
    #expect(set == built)
    #expect(set.hashValue == built.hashValue)

    // A record is shared only when it is the same record, not merely the same id.
    let sameID = JobState(latest: success, latestSuccessful: success, lastCheck: skip)
    #expect(sameID.lastCheck == skip)
    #expect(sameID.latestSuccessful == success)
    set.lastCheck = failure
    #expect(set.lastCheck == failure)
    #expect(set.latestSuccessful == success)
    #expect(set != built)
    #expect(JobState() == JobState())
    #expect(JobState().latest == nil && JobState().lastCheck == nil)
}

/// A deferred location is worked out once, when first read, and is then the
/// same as one given outright.
@Test func aDeferredLocationIsWorkedOutOnceWhenRead() {
    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var count = 0
        func tick() {
            lock.lock()
            count += 1
            lock.unlock()
        }
    }
    let counter = Counter()
    let known = SourceLocation(file: "jobs.d/a.yaml", line: 3, column: 5, context: "(in macro 'm')")
    let deferred = SourceLocation(deferred: {
        counter.tick()
        return known
    })
    #expect(counter.count == 0)
    #expect(deferred.description == "jobs.d/a.yaml:3:5 (in macro 'm')")
    #expect(deferred == known)
    #expect(deferred.hashValue == known.hashValue)
    #expect(counter.count == 1)
    var changed = deferred
    changed.line = 4
    #expect(changed.description == "jobs.d/a.yaml:4:5 (in macro 'm')")
    #expect(deferred.line == 3)
    #expect(counter.count == 1)
}
