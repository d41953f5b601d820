import Foundation

/// Runs closures `delay` after they were scheduled (up to `slack` later),
/// one at a time and in order, on one thread of its own.
///
/// A worker schedules one call per build (`Worker.startDelay`); most find
/// nothing to do, since a short build's start goes with its end. Calls due
/// within `slack` of each other run in one wake-up, and scheduling is an
/// append under a lock: a `DispatchQueue.asyncAfter` per build cost a timer,
/// a wake-up of libdispatch's manager thread and one of a worker thread,
/// about a tenth of a worker's own CPU per build in bench W11.
final class DelayedCalls: @unchecked Sendable {
    let delay: TimeInterval
    let slack: TimeInterval
    private let cond = NSCondition()
    /// Calls in the order scheduled, hence of their due times; `head` is the next.
    private var pending: [(due: Date, call: () -> Void)] = []
    private var head = 0
    private var started = false
    private var stopped = false

    init(delay: TimeInterval, slack: TimeInterval) {
        self.delay = delay
        self.slack = slack
    }

    /// Runs `call` about `delay` from now (nothing once `stop` was called).
    func schedule(_ call: @escaping () -> Void) {
        cond.withLock {
            guard !stopped else { return }
            pending.append((Date().addingTimeInterval(delay), call))
            if !started {
                started = true
                let thread = Thread { [self] in loop() }
                thread.stackSize = 1 << 20
                thread.start()
            } else if pending.count - head == 1 {
                cond.signal()  // the thread waits without a deadline when nothing is pending
            }
        }
    }

    /// Drops the calls not run yet and ends the thread (after a call under way).
    func stop() {
        cond.withLock {
            stopped = true
            pending.removeAll()
            head = 0
            cond.signal()
        }
    }

    private func loop() {
        cond.lock()
        defer { cond.unlock() }
        while !stopped {
            guard head < pending.count else {
                cond.wait()
                continue
            }
            let due = pending[head].due
            if Date() < due {
                _ = cond.wait(until: due.addingTimeInterval(slack))
                continue
            }
            let now = Date()
            var calls: [() -> Void] = []
            while head < pending.count && pending[head].due <= now {
                calls.append(pending[head].call)
                head += 1
            }
            if head == pending.count {
                pending.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 256 {
                pending.removeFirst(head)
                head = 0
            }
            cond.unlock()
            for call in calls { call() }
            cond.lock()
        }
    }
}
