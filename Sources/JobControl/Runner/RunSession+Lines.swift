import Glibc

extension RunSession {
    /// Splits one read of `stream` into lines and hands them on: the whole
    /// lines that are not directives (nearly all) as one `.outputLines`
    /// event, the rest one by one, each after the lines before it.
    func consume(_ stream: StreamState, _ read: UnsafeBufferPointer<UInt8>) {
        let role = stream.role
        guard role != .directivesOff, let base = read.baseAddress else {
            stream.splitter.feed(read) { bytes, part in handle(stream, bytes, part) }
            return
        }
        if consumeAsPrinted(stream, read) { return }
        var lines = OutputLines.Builder(stream: stream.stream)
        let plain = role == .output
        let masking = !masker.isEmpty
        let end = base + read.count
        stream.splitter.feed(read) { bytes, part in
            if case .line = part, plain || bytes.count < 2 || bytes[0] != Byte.at {
                if masking, let masked = masker.mask(bytes) {
                    if masked.count <= LineSplitter.pieceLimit {
                        masked.withUnsafeBufferPointer { lines.addCopy($0, read: read) }
                        return
                    }
                    // Longer once masked: in pieces, below.
                } else if let start = bytes.baseAddress, start >= base, start < end {
                    lines.add(from: base.distance(to: start), length: bytes.count, read: read)
                    return
                } else {
                    lines.addCopy(bytes, read: read)  // held across reads by the splitter
                    return
                }
            }
            if !lines.isEmpty { onEvent(.outputLines(lines.take(read))) }
            handle(stream, bytes, part)
        }
        if !lines.isEmpty { onEvent(.outputLines(lines.take(read))) }
    }

    /// The common case of `consume`, with no step per line: no secret to
    /// mask, no overlong line going on, and no line starting with `@` on a
    /// stream that carries directives. The line held from the read before
    /// is completed (one copy), the whole lines after it go on as they were
    /// printed (one copy of the bytes), and what follows the last newline is
    /// held for the next read. False when the read is not such a case
    /// (nothing was done).
    func consumeAsPrinted(_ stream: StreamState, _ read: UnsafeBufferPointer<UInt8>) -> Bool {
        // Every line inside one read is within the piece limit.
        guard masker.isEmpty, read.count <= LineSplitter.pieceLimit,
            let held = stream.splitter.heldLine, let base = read.baseAddress
        else { return false }
        let directives = stream.role == .directives
        var whole = read.count  // after the last newline
        while whole > 0, read[whole - 1] != Byte.newline { whole -= 1 }
        guard whole > 0 else { return false }
        var first = 0  // after the end of the held line
        if !held.isEmpty {
            guard !directives || held[0] != Byte.at,
                let newline = memchr(base, Int32(Byte.newline), whole)
            else { return false }
            first = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
            guard held.count + first <= LineSplitter.pieceLimit else { return false }
        }
        let printed = UnsafeBufferPointer(rebasing: read[first..<whole])
        var count = 0
        if !printed.isEmpty {
            guard let plain = OutputLines.plainLineCount(printed, directives: directives)
            else { return false }
            count = plain
        }
        var lines = OutputLines(stream: stream.stream)
        if !held.isEmpty {
            var line = held
            line.append(contentsOf: UnsafeBufferPointer(rebasing: read[..<(first - 1)]))
            line.withUnsafeBufferPointer { lines.appendCopy(LineSplitter.withoutCR($0)) }
            stream.splitter.dropHeldLine()
        }
        lines.appendPrinted(printed, count: count)
        onEvent(.outputLines(lines))
        if whole < read.count {
            // Shorter than any limit: only held, nothing comes out.
            stream.splitter.feed(UnsafeBufferPointer(rebasing: read[whole...])) { bytes, part in
                handle(stream, bytes, part)
            }
        }
        return true
    }

    /// One line or part of a line from `stream`, turned into events.
    func handle(
        _ stream: StreamState, _ bytes: UnsafeBufferPointer<UInt8>, _ part: LineSplitter.Part
    ) {
        switch (part, stream.role) {
        case (.line, .directives):
            apply(stream.parser.parseLine(bytes), line: bytes, stream: stream.stream)
        case (.line, .output):
            output(stream.stream, bytes, continues: false)
        case (.line, .directivesOff):
            warnDirectivesOff()
            output(stream.stream, bytes, continues: false)
        case (.head, _):
            output(stream.stream, headOfLongLine(stream, bytes), continues: true)
        case (.tail(let ends), _):
            output(stream.stream, bytes, continues: !ends)
        }
    }

    /// The first part of an overlong line, without the `@@` escape's first
    /// `@`; a directive this long is not read, with a warning.
    func headOfLongLine(_ stream: StreamState, _ bytes: UnsafeBufferPointer<UInt8>)
        -> UnsafeBufferPointer<UInt8>
    {
        if stream.role == .directivesOff { warnDirectivesOff() }
        guard stream.role == .directives, !stream.parser.directivesStopped, bytes.count >= 2,
            bytes[0] == Byte.at
        else { return bytes }
        if bytes[1] == Byte.at { return UnsafeBufferPointer(rebasing: bytes[1...]) }
        if let directive = ProtocolParser.directive(in: bytes) {
            let effect = directive == .retval ? "sets nothing" : "is not read"
            onEvent(
                .notice(
                    level: .warning,
                    message:
                        "@\(directive.word) line longer than 1 MiB \(effect); it is logged as output"
                ))
        }
        return bytes
    }

    /// What a parsed directive-stream line does.
    func apply(_ parsed: ParsedLine, line: UnsafeBufferPointer<UInt8>, stream: LogStream) {
        switch parsed {
        case .output(let escaped):
            output(
                stream, escaped ? UnsafeBufferPointer(rebasing: line[1...]) : line, continues: false
            )
        case .malformed(let warning):
            output(stream, line, continues: false)
            onEvent(.notice(level: .warning, message: masker.mask(warning)))
        case .progress(var update):
            if !masker.isEmpty {
                update.group = update.group.map(masker.mask)
                update.status = update.status.map(masker.mask)
            }
            onEvent(.progress(update))
        case .retval(let value):
            let masked = masker.mask(value)
            retval = masked
            onEvent(.retval(masked))
        case .skip(let reason):
            let masked = reason.map(masker.mask)
            skipped = true
            skipReason = masked ?? ""
            onEvent(.skip(reason: masked))
        case .log(let level, let message):
            onEvent(.log(level: level, message: masker.mask(message)))
        }
    }

    /// Logs `bytes` as ordinary output: secrets masked, in pieces of at most
    /// 64 KiB; the last piece is `continued` when the line goes on.
    func output(_ stream: LogStream, _ bytes: UnsafeBufferPointer<UInt8>, continues: Bool) {
        guard let masked = masker.mask(bytes) else {
            emitPieces(stream, bytes, continues: continues)
            return
        }
        masked.withUnsafeBufferPointer { emitPieces(stream, $0, continues: continues) }
    }

    private func emitPieces(
        _ stream: LogStream, _ bytes: UnsafeBufferPointer<UInt8>, continues: Bool
    ) {
        var rest = bytes
        while rest.count > LineSplitter.pieceLimit {
            let cut = LineSplitter.utf8Boundary(rest, at: LineSplitter.pieceLimit)
            emitOne(stream, UnsafeBufferPointer(rebasing: rest[..<cut]), continued: true)
            rest = UnsafeBufferPointer(rebasing: rest[cut...])
        }
        emitOne(stream, rest, continued: continues)
    }

    /// One output event: the text, plus the exact bytes when not UTF-8.
    /// ASCII lines (nearly all) skip `String(validating:)`, which is generic
    /// and costs a metadata lookup per call.
    private func emitOne(_ stream: LogStream, _ bytes: UnsafeBufferPointer<UInt8>, continued: Bool)
    {
        if Byte.isASCII(bytes) {
            let text = String(decoding: bytes, as: UTF8.self)
            onEvent(.output(stream: stream, text: text, raw: nil, continued: continued))
        } else if let text = String(validating: bytes, as: UTF8.self) {
            onEvent(.output(stream: stream, text: text, raw: nil, continued: continued))
        } else {
            let text = String(decoding: bytes, as: UTF8.self)
            onEvent(.output(stream: stream, text: text, raw: Array(bytes), continued: continued))
        }
    }

    /// Once per attempt: descriptor 3 is logged because directives are off.
    func warnDirectivesOff() {
        guard !warnedDirectivesOff else { return }
        warnedDirectivesOff = true
        onEvent(
            .notice(
                level: .warning,
                message:
                    "directives are off for this job: what it writes to descriptor 3 is logged as output"
            ))
    }
}
