import Foundation

/// Receives what the scheduler does, to draw it: the TTY tree, plain lines,
/// JSON lines, JUnit, or a recording for tests. Calls arrive from worker
/// threads but never concurrently (the scheduler serialises them).
public protocol BuildObserver: AnyObject, Sendable {
    func planned(_ plan: Plan)
    /// A build row exists and its process is about to start.
    func buildStarted(_ build: BuildRecord, job: Job)
    /// Something the running build produced (secrets already masked); never
    /// `.outputLines`: the scheduler hands those on as `.output` events.
    func buildEvent(_ build: BuildRecord, _ event: RunEvent)
    func buildFinished(_ build: BuildRecord)
    func runFinished(_ summary: RunSummary)
    /// Another process holds `job`'s lock; the scheduler waits for it
    /// (`--lock-timeout`). Optional: does nothing unless implemented.
    func waitingForLock(_ job: JobID)
    /// nil (the default): every output line comes as an `.output` event. A
    /// number n: of the lines a job printed at once, only the last n come,
    /// for an observer that keeps no more than an n-line tail of them.
    var outputLineLimit: Int? { get }
}

extension BuildObserver {
    public func waitingForLock(_ job: JobID) {}
    public var outputLineLimit: Int? { nil }
}

/// How a run went, for the summary and the exit code.
public struct RunSummary: Sendable {
    /// Every build started in this run, in start order (retried attempts included).
    public var builds: [BuildRecord]
    /// Planned jobs that did not start, with why (`dependency 'x' failed`,
    /// `stopped after a failure`, `interrupted`, `lock not obtained`).
    public var notRun: [(job: JobID, why: String)]
    public var leftOut: [LeftOut]
    /// Signal number when jcrun was interrupted.
    public var interruptedBy: Int32?
    public var lockNotObtained: Bool
    /// jcrun's own errors during the run (the store or the lock folder
    /// failed), one line each; they make the exit code 2.
    public var errors: [String]
    public var startedAt: Date
    public var finishedAt: Date

    public init(
        builds: [BuildRecord] = [], notRun: [(job: JobID, why: String)] = [], leftOut: [LeftOut] = [],
        interruptedBy: Int32? = nil, lockNotObtained: Bool = false, errors: [String] = [],
        startedAt: Date, finishedAt: Date
    ) {
        self.errors = errors
        self.builds = builds
        self.notRun = notRun
        self.leftOut = leftOut
        self.interruptedBy = interruptedBy
        self.lockNotObtained = lockNotObtained
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}
