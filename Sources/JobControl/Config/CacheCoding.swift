import Foundation

/// Writes the job-set cache's compact binary form: unsigned LEB128 integers,
/// and every text once in a table that the body refers to by index.
///
/// Ten thousand jobs share their file names, macro contexts and dependency
/// ids, so the table makes both the file and the decoding small.
struct CacheWriter {
    private(set) var body: [UInt8] = []
    private var table: [String: Int] = [:]
    private var texts: [String] = []

    mutating func int(_ value: Int) {
        var rest = UInt64(bitPattern: Int64(value))
        while rest >= 0x80 {
            body.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        body.append(UInt8(rest))
    }

    mutating func bool(_ value: Bool) { body.append(value ? 1 : 0) }

    mutating func text(_ value: String) {
        if let index = table[value] {
            int(index)
            return
        }
        table[value] = texts.count
        int(texts.count)
        texts.append(value)
    }

    /// nil as 0, a value as 1 and the value.
    mutating func optional<T>(_ value: T?, _ write: (inout CacheWriter, T) -> Void) {
        guard let value else { return bool(false) }
        bool(true)
        write(&self, value)
    }

    mutating func list<T>(_ values: [T], _ write: (inout CacheWriter, T) -> Void) {
        int(values.count)
        for value in values { write(&self, value) }
    }

    /// The text table, then the body.
    func bytes() -> [UInt8] {
        var table = CacheWriter()
        table.int(texts.count)
        for text in texts {
            table.int(text.utf8.count)
            table.body.append(contentsOf: text.utf8)
        }
        return table.body + body
    }
}

/// Reads what `CacheWriter` wrote. Every read is bounds-checked and throws
/// `CacheReader.Corrupt` past the end or on a bad index, so that a truncated
/// or damaged cache file is a miss, never a crash.
struct CacheReader {
    struct Corrupt: Error {}

    private let bytes: [UInt8]
    private var offset: Int
    private var texts: [String] = []

    /// Reads the text table at `offset`; the body follows it.
    init(_ bytes: [UInt8], from offset: Int) throws {
        self.bytes = bytes
        self.offset = offset
        let count = try int()
        guard count <= bytes.count else { throw Corrupt() }
        texts.reserveCapacity(count)
        for _ in 0..<count {
            let length = try int()
            guard length >= 0, length <= bytes.count - self.offset else { throw Corrupt() }
            let start = self.offset
            self.offset += length
            texts.append(String(decoding: bytes[start..<self.offset], as: UTF8.self))
        }
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func int() throws -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else { throw Corrupt() }
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return Int(Int64(bitPattern: value)) }
            shift += 7
        }
    }

    mutating func bool() throws -> Bool {
        guard offset < bytes.count else { throw Corrupt() }
        offset += 1
        return bytes[offset - 1] != 0
    }

    mutating func text() throws -> String {
        let index = try int()
        guard index >= 0, index < texts.count else { throw Corrupt() }
        return texts[index]
    }

    mutating func optional<T>(_ read: (inout CacheReader) throws -> T) throws -> T? {
        try bool() ? try read(&self) : nil
    }

    mutating func list<T>(_ read: (inout CacheReader) throws -> T) throws -> [T] {
        let count = try int()
        guard count >= 0, count <= bytes.count - offset else { throw Corrupt() }
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try read(&self)) }
        return values
    }
}
