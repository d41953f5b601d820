import Foundation

/// Every file a load read (or looked for and did not find), with its `stat`
/// identity and a hash of its content: what decides whether a cached job set
/// is still what loading would give.
///
/// `@unchecked Sendable`: the template engine's loader must be `Sendable`;
/// one load records from one thread, and the lock makes that safe anyway.
final class CacheInputs: @unchecked Sendable {
    /// One file as the load saw it.
    struct Input: Equatable {
        var path: String
        /// nil: the file did not exist.
        var stamp: FileStamp?
        var hash: ContentHash
    }

    private let lock = NSLock()
    private var inputs: [String: Input] = [:]
    private var environmentNames: Set<String> = []
    private var readsWholeEnvironment = false

    /// Reads the file at `path` (nil when it cannot be read) and records it.
    /// The stamp is taken before the read: a change in between shows as a
    /// newer stamp next time, and then the content decides.
    func read(_ path: String) -> Data? {
        let stamp = FileStamp.of(path)
        let data = FileManager.default.contents(atPath: path)
        record(Input(path: path, stamp: data == nil ? nil : stamp, hash: ContentHash(data)))
        if let data { scanForEnvironmentUse(data) }
        return data
    }

    /// `!env NAME` read `name` (noted as the decoder reads it, so that a
    /// templated name counts too).
    func noteEnvironmentRead(_ name: String) {
        _ = lock.withLock { environmentNames.insert(name) }
    }

    /// Notes the variables a template reads through `env`: `env.NAME` and
    /// `env['NAME']` name one; any other use (`env.get(x)`, `for k in env`,
    /// `env | tojson`, passing `env` on) may read any, and makes the whole
    /// environment an input.
    func scanForEnvironmentUse(_ data: Data) {
        let use = EnvironmentScan.uses(in: [UInt8](data))
        lock.withLock {
            environmentNames.formUnion(use.names)
            readsWholeEnvironment = readsWholeEnvironment || use.whole
        }
    }

    /// The variables read, sorted; nil when the whole environment is an input.
    var environmentRead: [String]? {
        lock.withLock { readsWholeEnvironment ? nil : environmentNames.sorted() }
    }

    func record(_ input: Input) {
        lock.withLock { inputs[input.path] = input }
    }

    var all: [Input] {
        lock.withLock { inputs.values.sorted { $0.path < $1.path } }
    }

    /// Whether the file at `input.path` is still what was read: absent if it
    /// was absent; the same stamp (when the stamp can be trusted), else the
    /// same content.
    static func isUnchanged(_ input: Input, trusted: Bool) -> Bool {
        let stamp = FileStamp.of(input.path)
        guard let recorded = input.stamp else { return stamp == nil }
        guard stamp != nil else { return false }
        if trusted && stamp == recorded { return true }
        guard let data = FileManager.default.contents(atPath: input.path) else { return false }
        return ContentHash(data) == input.hash
    }
}

/// What `stat` says about a file: device, inode, size, and modification and
/// change times in nanoseconds. Any write changes the change time, which no
/// tool can set back.
struct FileStamp: Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Int64
    var changed: Int64

    static func of(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            changed: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec))
    }

    /// Whether a stamp taken now can vouch for the content later: not when
    /// the file changed within `margin` of `now`, since file times tick
    /// coarsely and a second write in the same tick would keep the stamp.
    func isSettled(at now: Date, margin: TimeInterval = 2) -> Bool {
        let limit = Int64((now.timeIntervalSince1970 - margin) * 1_000_000_000)
        return modified < limit && changed < limit
    }
}

/// FNV-1a with 128 bits over bytes (the definition hash uses the 64-bit
/// one): a collision between two versions of a file is out of reach.
struct ContentHash: Hashable {
    private(set) var value: UInt128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d

    init() {}

    init<Bytes: Sequence>(_ bytes: Bytes?) where Bytes.Element == UInt8 {
        guard let bytes else {
            value = 0
            return
        }
        add(bytes)
    }

    init(raw: UInt128) { value = raw }

    /// The hash of a file's content, read through its buffer: `Data`'s
    /// iterator made checking a 400 KB job file cost 3 ms.
    init(_ data: Data?) {
        guard let data else {
            value = 0
            return
        }
        data.withUnsafeBytes { add($0) }
    }

    mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let prime: UInt128 = (1 << 88) + 0x13B
        for byte in bytes {
            value ^= UInt128(byte)
            value = value &* prime
        }
    }

    /// Text with its length first, so that ("ab", "c") and ("a", "bc") differ.
    mutating func add(text: String) {
        add(String(text.utf8.count).utf8)
        add([0])
        add(text.utf8)
    }

    var high: UInt64 { UInt64(truncatingIfNeeded: value >> 64) }
    var low: UInt64 { UInt64(truncatingIfNeeded: value) }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 32 - digits.count) + digits
    }
}

/// Finds how template text uses the global `env`, word by word, erring on the
/// side of "the whole environment".
///
/// Worked example: in `{{ env.HOME }} {{ env['DATA'] }}` the names are HOME
/// and DATA; `env:` (a YAML key) and `!env` (the tag, noted by the decoder)
/// are not reads; `{% for k in env %}` or `env.get(name)` read everything.
enum EnvironmentScan {
    static func uses(in text: [UInt8]) -> (names: Set<String>, whole: Bool) {
        var names: Set<String> = []
        var index = 0
        let end = text.count
        while index + 3 <= end {
            guard text[index] == UInt8(ascii: "e"), text[index + 1] == UInt8(ascii: "n"),
                text[index + 2] == UInt8(ascii: "v")
            else {
                index += 1
                continue
            }
            let before = index > 0 ? text[index - 1] : UInt8(ascii: " ")
            let after = index + 3
            index += 3
            if isNameByte(before) || before == UInt8(ascii: "!") || before == UInt8(ascii: ".") {
                continue  // part of a longer word, the `!env` tag, or another value's attribute
            }
            if after < end && isNameByte(text[after]) { continue }
            var next = after
            while next < end && (text[next] == UInt8(ascii: " ") || text[next] == UInt8(ascii: "\t")) {
                next += 1
            }
            if next < end && text[next] == UInt8(ascii: ":") { continue }  // a YAML key
            if let (name, stop) = staticName(in: text, at: next) {
                names.insert(name)
                index = stop
                continue
            }
            return (names, true)
        }
        return (names, false)
    }

    /// `.NAME` (not followed by a call) or `['NAME']` / `["NAME"]` at `start`.
    private static func staticName(in text: [UInt8], at start: Int) -> (String, Int)? {
        let end = text.count
        guard start < end else { return nil }
        if text[start] == UInt8(ascii: ".") {
            var stop = start + 1
            while stop < end && isNameByte(text[stop]) { stop += 1 }
            guard stop > start + 1, !(stop < end && text[stop] == UInt8(ascii: "(")) else { return nil }
            return (String(decoding: text[(start + 1)..<stop], as: UTF8.self), stop)
        }
        guard text[start] == UInt8(ascii: "["), start + 1 < end else { return nil }
        let quote = text[start + 1]
        guard quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { return nil }
        var stop = start + 2
        while stop < end && text[stop] != quote && text[stop] != UInt8(ascii: "\\") { stop += 1 }
        guard stop + 1 < end, text[stop] == quote, text[stop + 1] == UInt8(ascii: "]") else {
            return nil
        }
        return (String(decoding: text[(start + 2)..<stop], as: UTF8.self), stop + 2)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            || byte >= 0x80
    }
}
