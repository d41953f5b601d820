import CSpawn
import Foundation

extension RunSession {
    /// Where the loop stands; one value per attempt.
    struct LoopState {
        var stop: StopReason?
        var killAt: Int64?
        var killed = false
        var interruptSeen = false
        /// Raw wait status once the child was reaped.
        var waitStatus: Int32?
        var exitedAt: Int64 = 0
        var lastData: Int64 = 0
        /// An interrupt arrived after the exit: stop reading at once.
        var cutLinger = false
        /// The job exited leaving processes in its group; they were sent
        /// SIGTERM (and get SIGKILL at `killAt`).
        var cleaningUp = false
    }

    /// Reads the child's streams until it exited and its output is done;
    /// enforces the timeout and answers interrupts. Returns how it ended.
    ///
    /// A job never leaves processes running unsupervised: when the child has
    /// exited and its output is drained (or given up on), whatever is left of
    /// its process group gets SIGTERM, then SIGKILL after `stop_grace`, and
    /// the build's log gets a warning saying how many were left. The build's
    /// outcome is still the child's exit status.
    func watch(_ child: ChildProcess, wake: WakeUp) -> RunTermination {
        let started = Self.now()
        let timeoutAt = spec.timeout.map { started + Int64($0) * 1_000_000_000 }
        let grace = Int64(max(spec.stopGrace, 0)) * 1_000_000_000
        var state = LoopState(lastData: started)
        var fds: [pollfd] = []
        var owners: [Int] = []  // index in `streams`, or pidOwner / wakeOwner
        let pidOwner = -1
        let wakeOwner = -2
        let readerOwner = -3
        while true {
            // What to wait for, and until when.
            fds.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            for (index, stream) in streams.enumerated() where stream.fd >= 0 {
                fds.append(pollfd(fd: stream.fd, events: Int16(POLLIN), revents: 0))
                owners.append(index)
            }
            if state.waitStatus == nil, child.pidFD >= 0 {
                fds.append(pollfd(fd: child.pidFD, events: Int16(POLLIN), revents: 0))
                owners.append(pidOwner)
            }
            fds.append(pollfd(fd: wake.descriptor, events: Int16(POLLIN), revents: 0))
            owners.append(wakeOwner)
            for fd in OutputReaders.watched {
                fds.append(pollfd(fd: fd, events: 0, revents: 0))  // POLLERR/POLLHUP only
                owners.append(readerOwner)
            }
            let before = Self.now()
            let deadline = nextDeadline(state, child: child, timeoutAt: timeoutAt, now: before)
            let wait =
                deadline == .max
                ? -1 : Int32(clamping: max(0, (deadline - before + 999_999) / 1_000_000))
            _ = poll(&fds, nfds_t(fds.count), wait)  // EINTR: go round again

            // Read what is there; reap the child when it exited.
            for (slot, entry) in fds.enumerated() where entry.revents != 0 {
                switch owners[slot] {
                case pidOwner: reap(child, &state)
                case wakeOwner: wake.drain()
                case readerOwner: OutputReaders.readerGone()
                default:
                    let stream = streams[owners[slot]]
                    if entry.revents & Int16(POLLIN) == 0 {
                        // Hung up with nothing left to read: the end, without a read.
                        endStream(stream, late: true)
                    } else if readOnce(stream) {
                        state.lastData = Self.now()
                    }
                }
            }
            if state.waitStatus == nil, child.pidFD < 0 { reap(child, &state) }
            // Exited: the streams may end now (at once unless processes it
            // started hold them), all seen by the next poll without a wait.
            if state.waitStatus != nil { releaseWriteEnds() }

            // Stop requests and deadlines.
            let now = Self.now()
            handleStops(&state, child: child, timeoutAt: timeoutAt, grace: grace, now: now)

            // Done once the child exited, its group is gone when it was
            // stopped, and its output ended or went quiet.
            guard state.waitStatus != nil else { continue }
            if state.stop != nil || state.cleaningUp, !state.killed {
                if ProcessGroup.liveMembers(of: child.pid) > 0 { continue }
                state.killed = true
            }
            if streams.contains(where: { $0.fd >= 0 }) {
                let quietSince = max(state.lastData, state.exitedAt)
                guard state.cutLinger || now >= state.exitedAt + Self.seconds(launcher.lingerLimit)
                    || now >= quietSince + Self.seconds(launcher.lingerIdle)
                else { continue }
                stopReading()
            }

            // Output done: stop what the job left running in its group.
            if state.stop == nil, !state.cleaningUp, stopLeftovers(child, &state, grace: grace) {
                continue
            }
            break
        }
        return termination(state)
    }

    /// Sends SIGTERM to what is left of the exited job's group, with a
    /// warning in its log; SIGKILL follows at `killAt`. False when nothing is left.
    // TODO(#4): a process that left the group (`setsid cmd &`, a daemon that
    // forks into a new session) is not seen here: the command line stops it
    // only when the run ends (`GroupLeavers`), a worker not at all.
    func stopLeftovers(_ child: ChildProcess, _ state: inout LoopState, grace: Int64) -> Bool {
        let left = ProcessGroup.liveMembers(of: child.pid)
        guard left > 0 else { return false }
        let processes = left == 1 ? "1 process" : "\(left) processes"
        onEvent(
            .notice(
                level: .warning,
                message:
                    "\(processes) started by the job still ran after it exited; jcrun sent SIGTERM to its process group (SIGKILL after \(spec.stopGrace)s)"
            ))
        state.cleaningUp = true
        signalGroup(child, SIGTERM)
        state.killAt = Self.now() + grace
        return true
    }

    /// The earliest moment the loop must look again without any input.
    func nextDeadline(_ state: LoopState, child: ChildProcess, timeoutAt: Int64?, now: Int64)
        -> Int64
    {
        var deadline = Int64.max
        if let killAt = state.killAt, !state.killed { deadline = min(deadline, killAt) }
        if state.waitStatus == nil {
            if state.stop == nil, let timeoutAt { deadline = min(deadline, timeoutAt) }
            if child.pidFD < 0 { deadline = min(deadline, now + 10_000_000) }
        } else if state.stop != nil || state.cleaningUp, !state.killed {
            deadline = min(deadline, now + 20_000_000)  // look whether the group is gone
        } else {
            let quietSince = max(state.lastData, state.exitedAt)
            deadline = min(deadline, state.exitedAt + Self.seconds(launcher.lingerLimit))
            deadline = min(deadline, quietSince + Self.seconds(launcher.lingerIdle))
        }
        return deadline
    }

    /// Interrupts, the timeout and the SIGKILL after the stop grace.
    func handleStops(
        _ state: inout LoopState, child: ChildProcess, timeoutAt: Int64?, grace: Int64, now: Int64
    ) {
        if !state.interruptSeen, let signal = control.requestedSignal {
            state.interruptSeen = true
            if state.waitStatus == nil {
                if state.stop == nil { state.stop = .interrupt(signal) }
                // jcrun's output went away (SIGPIPE): stop the job as on SIGTERM.
                signalGroup(child, signal == SIGPIPE ? SIGTERM : signal)
                if state.killAt == nil { state.killAt = now + grace }
            } else {
                state.cutLinger = true
            }
        }
        if control.killRequested, !state.killed,
            state.waitStatus == nil || state.stop != nil || state.cleaningUp
        {
            signalGroup(child, SIGKILL)
            state.killed = true
        }
        if state.stop == nil, state.waitStatus == nil, let timeoutAt, now >= timeoutAt {
            state.stop = .timeout
            signalGroup(child, SIGTERM)
            state.killAt = now + grace
        }
        if let killAt = state.killAt, !state.killed, now >= killAt {
            signalGroup(child, SIGKILL)
            state.killed = true
        }
    }

    /// Collects the child's exit status if it exited.
    func reap(_ child: ChildProcess, _ state: inout LoopState) {
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(child.pid, &status, WNOHANG) } while result < 0 && errno == EINTR
        if result == child.pid {
            state.waitStatus = status
            state.exitedAt = Self.now()
        } else if result < 0 {
            // ECHILD: someone else reaped it (SIGCHLD ignored in jcrun).
            onEvent(
                .notice(
                    level: .warning,
                    message:
                        "jcrun could not read the job's exit status: \(LaunchError.reason(errno))"))
            state.waitStatus = 255 << 8
            state.exitedAt = Self.now()
        }
    }

    func termination(_ state: LoopState) -> RunTermination {
        switch state.stop {
        case .timeout: return .timedOut(after: spec.timeout ?? 0)
        case .interrupt(let signal): return .interrupted(signal)
        case nil: break
        }
        let status = state.waitStatus ?? 0
        let signal = status & 0x7f
        if signal == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(signal, SignalName.of(signal))
    }

    /// Reads once from `stream`; true when bytes came.
    func readOnce(_ stream: StreamState) -> Bool {
        let count = read(stream.fd, buffer.baseAddress, buffer.count)
        if count > 0 {
            consume(stream, UnsafeBufferPointer(rebasing: buffer[..<count]))
            return true
        }
        if count < 0, errno == EAGAIN || errno == EINTR { return false }
        endStream(stream, late: true)
        return false
    }

    /// End of file (or a read error): the last line counts, the pipe closes
    /// (`late`: once the next job started, `LateClose`; a pipe that
    /// processes the job left may still write to closes now).
    func endStream(_ stream: StreamState, late: Bool = false) {
        stream.splitter.finish { bytes, part in handle(stream, bytes, part) }
        if late {
            LateClose.add(stream.fd)
        } else {
            close(stream.fd)
        }
        stream.fd = -1
    }

    /// Gives up on output still held open by processes the job left behind.
    func stopReading() {
        for stream in streams where stream.fd >= 0 { endStream(stream) }
        onEvent(
            .notice(
                level: .warning,
                message:
                    "processes started by the job still hold its output open after it exited; their further output is not logged"
            ))
    }
}
