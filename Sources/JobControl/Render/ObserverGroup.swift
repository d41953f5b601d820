/// Forwards every event to several observers (a renderer plus JUnit, say).
public final class ObserverGroup: BuildObserver, @unchecked Sendable {
    private let observers: [BuildObserver]

    public init(_ observers: [BuildObserver]) { self.observers = observers }

    public func planned(_ plan: Plan) { observers.forEach { $0.planned(plan) } }
    public func buildStarted(_ build: BuildRecord, job: Job) {
        observers.forEach { $0.buildStarted(build, job: job) }
    }
    public func buildEvent(_ build: BuildRecord, _ event: RunEvent) {
        observers.forEach { $0.buildEvent(build, event) }
    }
    public func buildFinished(_ build: BuildRecord) {
        observers.forEach { $0.buildFinished(build) }
    }
    public func runFinished(_ summary: RunSummary) { observers.forEach { $0.runFinished(summary) } }
    public func waitingForLock(_ job: JobID) { observers.forEach { $0.waitingForLock(job) } }
    /// The most any member needs.
    public var outputLineLimit: Int? {
        var most = 0
        for observer in observers {
            guard let limit = observer.outputLineLimit else { return nil }
            most = max(most, limit)
        }
        return most
    }
}
