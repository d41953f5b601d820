import Foundation

/// Keeps a PostgreSQL connection URL's password out of everything jcrun
/// prints: the URL shown with `***`, and the password masked in any text
/// (libpq's connection errors may echo parts of the URL).
///
/// A password can sit in the user part (`postgresql://u:secret@host/db`) or
/// in the query (`?password=secret`); both are masked, percent-encoded or not.
public enum PostgresURL {
    /// `postgresql://u:secret@h/db?password=x` → `postgresql://u:***@h/db?password=***`.
    public static func redacted(_ url: String) -> String {
        var result = redactedUserInfo(url)
        guard let question = result.firstIndex(of: "?") else { return result }
        let query = result[result.index(after: question)...].split(
            separator: "&", omittingEmptySubsequences: false)
        let masked = query.map { pair -> String in
            let lowered = pair.lowercased()
            return lowered.hasPrefix("password=") ? "password=***" : String(pair)
        }
        result = String(result[...question]) + masked.joined(separator: "&")
        return result
    }

    /// `text` with every password of `url` replaced by `***`.
    public static func mask(_ text: String, in url: String) -> String {
        var masked = text
        for password in passwords(in: url) where password.count >= 1 {
            masked = masked.replacingOccurrences(of: password, with: "***")
        }
        return masked.replacingOccurrences(of: url, with: redacted(url))
    }

    /// The passwords written in `url`, raw and percent-decoded.
    static func passwords(in url: String) -> [String] {
        var found: [String] = []
        if let range = passwordRange(url) { found.append(String(url[range])) }
        if let question = url.firstIndex(of: "?") {
            for pair in url[url.index(after: question)...].split(separator: "&")
            where pair.lowercased().hasPrefix("password=") {
                found.append(String(pair.dropFirst("password=".count)))
            }
        }
        let decoded = found.compactMap { $0.removingPercentEncoding }
        return (found + decoded).filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    private static func redactedUserInfo(_ url: String) -> String {
        guard let range = passwordRange(url) else { return url }
        return String(url[..<range.lowerBound]) + "***" + String(url[range.upperBound...])
    }

    /// Where the password of the user part is: from the first `:` after
    /// `://` to the last `@` before the query. A password written with a raw
    /// `@` or `/` (refused by `StorageValueCheck.urlProblem`) is still masked whole.
    private static func passwordRange(_ url: String) -> Range<String.Index>? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...].prefix { $0 != "?" }
        guard let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":"),
            !rest[..<colon].contains("/")
        else { return nil }
        return rest.index(after: colon)..<at
    }
}
