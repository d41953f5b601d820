import Foundation

/// Escaping and the shared page frame. Every piece of text that comes from a
/// job, a build or a log goes through `escape`, so `<script>` stays text.
enum HTML {
    /// `&`, `<`, `>`, `"` and `'` as entities, control characters (but tab and
    /// newline) made visible; safe in text and in quoted attributes.
    static func escape(_ text: String) -> String {
        // Most text (ids, titles, reasons) needs nothing: no copy then.
        if text.utf8.allSatisfy({ plainText[Int($0)] }) { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n": result.unicodeScalars.append(character)
            // C0 controls as their control pictures (U+2400...), DEL as ␡, C1 as `\x85`:
            // a log line's `\u{1b}[1m` shows as `␛[1m`, never raw.
            case "\u{00}"..."\u{1f}":
                result.unicodeScalars.append(Unicode.Scalar(0x2400 + character.value)!)
            case "\u{7f}": result += "\u{2421}"
            case "\u{80}"..."\u{9f}": result += "\\x" + String(character.value, radix: 16)
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    /// The bytes `escape` leaves as they are: printable ASCII but `&<>"'`,
    /// tab and newline. (Bytes from 0x80 on are looked at one by one.)
    private static let plainText: [Bool] = (0..<256).map { byte in
        if byte == 0x09 || byte == 0x0a { return true }
        guard byte >= 0x20 && byte < 0x7f else { return false }
        return !"&<>\"'".utf8.contains(UInt8(byte))
    }

    /// A path segment percent-encoded for an href (`a b` → `a%20b`): every
    /// UTF-8 byte outside RFC 3986's unreserved characters, sub-delimiters but
    /// `;` and `&`, `:` and `@` as `%XX`, as `addingPercentEncoding` with
    /// `urlPathAllowed` less `/?#%&` does. `&` is encoded so that the result
    /// can stand in an attribute as it is: `R&D&copy` must not read as `R&D©`.
    static func segment(_ text: String) -> String {
        if text.utf8.allSatisfy({ segmentAllowed[Int($0)] }) { return text }
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if segmentAllowed[Int(byte)] {
                bytes.append(byte)
            } else {
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes a path segment keeps as they are.
    private static let segmentAllowed: [Bool] = (0..<256).map { byte in
        let scalar = Unicode.Scalar(UInt8(byte))
        if ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) { return true }
        if ("0"..."9").contains(scalar) { return true }
        return "-._~!$'()*+,=:@".unicodeScalars.contains(scalar)
    }

    static func jobLink(_ job: JobID) -> String {
        "<a href=\"/jobs/\(segment(job))\">\(escape(job))</a>"
    }

    static func buildLink(_ id: BuildID) -> String { "<a href=\"/builds/\(id)\">#\(id)</a>" }

    static func badge(_ label: String) -> String {
        let name = String(label.map { $0 == " " ? "-" : $0 })
        return "<span class=\"badge s-\(name)\">\(escape(label))</span>"
    }

    /// The whole document: head, navigation, `body`. `live` adds the script
    /// that follows a running build, and a refresh for readers without JavaScript.
    static func page(title: String, body: String, live: Bool = false, readOnly: Bool = false)
        -> String
    {
        var head = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        head += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        head += "<title>\(escape(title)) · jcrun</title>"
        head += "<link rel=\"stylesheet\" href=\"/static/style.css\">"
        head += "<script src=\"/static/app.js\" defer></script>"
        if live { head += "<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>" }
        head += "</head><body>"
        var nav = "<header><a class=\"brand\" href=\"/\">jcrun</a><nav><a href=\"/\">Jobs</a>"
        nav += "<a href=\"/graph\">Graph</a><a href=\"/api/jobs\">API</a></nav>"
        if readOnly { nav += "<span class=\"ro\">read-only</span>" }
        nav += "</header><main>"
        return head + nav + body + "</main></body></html>\n"
    }

    /// `12s ago`, or an em dash.
    static func age(_ date: Date?, now: Date) -> String {
        guard let date else { return "—" }
        return
            "<time datetime=\"\(JSONText.timestamp(date))\">\(DurationFormat.age(since: date, now: now))</time>"
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        let text = JSONText.timestamp(date).replacingOccurrences(of: "T", with: " ")
        return "<time datetime=\"\(JSONText.timestamp(date))\">\(text)</time>"
    }
}
