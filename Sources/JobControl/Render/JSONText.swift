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
        guard let value, value.isFinite else { text += "null"; return }
        text += String(format: "%.3f", value)
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

    /// RFC 3339 in UTC with `Z`, milliseconds when not whole.
    public static func timestamp(_ date: Date) -> String {
        var seconds = Int(floor(date.timeIntervalSince1970))
        let millis = Int(((date.timeIntervalSince1970 - Double(seconds)) * 1000).rounded())
        if millis == 1000 { seconds += 1 }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let base = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        return millis == 0 || millis == 1000 ? base + "Z" : base + String(format: ".%03dZ", millis)
    }

    public static func appendString(_ value: String, to text: inout String) {
        text += "\""
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
            case _ where scalar.value < 0x20: escape = String(format: "\\u%04x", scalar.value)
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
