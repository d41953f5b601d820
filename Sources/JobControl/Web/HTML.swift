import Foundation

/// Escaping and the shared page frame. Every piece of text that comes from a
/// job, a build or a log goes through `escape`, so `<script>` stays text.
enum HTML {
    /// `&`, `<`, `>`, `"` and `'` as entities, control characters (but tab and
    /// newline) made visible; safe in text and in quoted attributes.
    static func escape(_ text: String) -> String {
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

    /// A path segment percent-encoded for an href (`a b` → `a%20b`).
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func jobLink(_ job: JobID) -> String {
        "<a href=\"/jobs/\(segment(job))\">\(escape(job))</a>"
    }

    static func buildLink(_ id: BuildID) -> String { "<a href=\"/builds/\(id)\">#\(id)</a>" }

    static func badge(_ label: String) -> String {
        "<span class=\"badge s-\(label.replacingOccurrences(of: " ", with: "-"))\">\(escape(label))</span>"
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
