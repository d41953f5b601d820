import Foundation

/// Builds one JSON object as text, keys in the order written.
///
/// Written by hand rather than with JSONEncoder because `--json` emits an
/// object per progress line and must stay O(1) and cheap per event; the
/// escaping follows RFC 8259 (quote, backslash, control characters).
public struct JSONText {
    private var text = "{"
    private var first = true

    public init() {}

    /// Every object jcrun prints starts with `"v": 1`.
    public static func versioned() -> JSONText {
        var object = JSONText()
        object.field("v", 1)
        return object
    }

    public mutating func field(_ key: String, _ value: String?) {
        key_(key)
        if let value { JSONText.appendString(value, to: &text) } else { text += "null" }
    }

    public mutating func field<N: BinaryInteger>(_ key: String, _ value: N?) {
        key_(key)
        text += value.map { "\($0)" } ?? "null"
    }

    public mutating func field(_ key: String, _ value: Double?) {
        key_(key)
        guard let value, value.isFinite else {
            text += "null"
            return
        }
        let millis = Int64((value * 1000).rounded())
        let fraction = String(abs(millis) % 1000)
        text += (millis < 0 ? "-" : "") + String(abs(millis) / 1000) + "."
        text += String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    public mutating func field(_ key: String, _ value: Bool) {
        key_(key)
        text += value ? "true" : "false"
    }

    public mutating func field(_ key: String, _ value: Date?) {
        field(key, value.map(JSONText.timestamp))
    }

    public mutating func field(_ key: String, strings: [String]) {
        key_(key)
        text += "["
        for (index, value) in strings.enumerated() {
            if index > 0 { text += "," }
            JSONText.appendString(value, to: &text)
        }
        text += "]"
    }

    /// A value that is already JSON text (an object or array built here).
    public mutating func field(_ key: String, raw: String) {
        key_(key)
        text += raw
    }

    public mutating func field(_ key: String, objects: [JSONText]) {
        field(key, raw: "[" + objects.map(\.string).joined(separator: ",") + "]")
    }

    public var string: String { text + "}" }

    private mutating func key_(_ key: String) {
        if !first { text += "," }
        first = false
        JSONText.appendString(key, to: &text)
        text += ":"
    }

    /// RFC 3339 in UTC with `Z`, milliseconds when not whole:
    /// `2026-05-28T20:26:40Z`, `2026-05-28T20:26:40.300Z`.
    ///
    /// Formatted into a byte buffer by hand: this runs once per `--json`
    /// event, and `String(format:)` would cost more than the rest of it.
    public static func timestamp(_ date: Date) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = totalMillis / 1000
        var millis = Int(totalMillis % 1000)
        if millis < 0 {
            millis += 1000
            seconds -= 1
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, _ width: Int, at offset: Int) {
            var value = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(48 + value % 10)
                value /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, 4, at: 0)
        bytes[4] = 45  // -
        put(Int(parts.tm_mon) + 1, 2, at: 5)
        bytes[7] = 45
        put(Int(parts.tm_mday), 2, at: 8)
        bytes[10] = 84  // T
        put(Int(parts.tm_hour), 2, at: 11)
        bytes[13] = 58  // :
        put(Int(parts.tm_min), 2, at: 14)
        bytes[16] = 58
        put(Int(parts.tm_sec), 2, at: 17)
        if millis == 0 {
            bytes[19] = 90  // Z
            return String(decoding: bytes[0..<20], as: UTF8.self)
        }
        bytes[19] = 46  // .
        put(millis, 3, at: 20)
        bytes[23] = 90
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `value` as a JSON string literal: only `"`, `\` and control characters
    /// (C0, DEL and C1, so that JSON printed on a terminal cannot drive it)
    /// are escaped.
    public static func quoted(_ value: String) -> String {
        var text = ""
        appendString(value, to: &text)
        return text
    }

    /// `["a","b"]`: strings as a JSON array.
    public static func array(_ values: [String]) -> String {
        "[" + values.map(quoted).joined(separator: ",") + "]"
    }

    public static func appendString(_ value: String, to text: inout String) {
        text += "\""
        // Most values need no escaping: append them whole.
        if !value.utf8.contains(where: {
            $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xC2
        }) {
            text += value
            text += "\""
            return
        }
        var start = value.unicodeScalars.startIndex
        var index = start
        let scalars = value.unicodeScalars
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let escape: String?
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                escape = String(format: "\\u%04x", scalar.value)
            default: escape = nil
            }
            if let escape {
                text.unicodeScalars.append(contentsOf: scalars[start..<index])
                text += escape
                start = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        text.unicodeScalars.append(contentsOf: scalars[start..<scalars.endIndex])
        text += "\""
    }
}
