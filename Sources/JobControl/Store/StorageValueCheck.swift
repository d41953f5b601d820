import Foundation

/// Storage values that look like a PostgreSQL connection written wrong, and
/// so must not be taken for a file path: `postgresql:` without `//`, another
/// `scheme:`, a `sqlite://HOST/...` URL, or a libpq `key=value` string.
/// Each is refused with the right form, any password in it shown as `***`.
enum StorageValueCheck {
    static let expected = "use a path, sqlite:PATH or postgresql://..."

    /// libpq's connection keywords: a value starting `host=`, `dbname =` or
    /// `password=` is a connection string, not a file name.
    static let conninfoKeywords: Set<String> = [
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "channel_binding",
        "connect_timeout", "client_encoding", "options", "application_name",
        "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode",
        "requiressl", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode",
        "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version",
        "ssl_max_protocol_version", "krbsrvname", "gsslib", "gssdelegation", "service",
        "target_session_attrs", "load_balance_hosts", "require_auth", "sslnegotiation",
    ]

    /// What is wrong with `value` (a value without `://`, or `sqlite://...`),
    /// nil when it may be a path or `sqlite:PATH`.
    static func problem(with value: String) -> String? {
        let lowered = value.lowercased()
        if lowered.hasPrefix("sqlite://"), let next = lowered.dropFirst("sqlite://".count).first,
            next != "/"
        {
            let rest = value.dropFirst("sqlite://".count)
            let host = rest.prefix { $0 != "/" }
            return "'sqlite://' is followed by a host ('\(host)'); write sqlite:///PATH for an"
                + " absolute path or sqlite:PATH for a relative one: did you mean 'sqlite:///\(rest)'"
                + " or 'sqlite:\(rest)'?"
        }
        if let pairs = conninfo(value) {
            return "a libpq key=value string is not a storage value; write it as a URL:"
                + " did you mean '\(url(from: pairs, in: value))'?"
        }
        guard let scheme = scheme(of: value), scheme.lowercased() != "sqlite" else { return nil }
        let rest = String(value.dropFirst(scheme.count + 1))
        let lowerScheme = scheme.lowercased()
        let postgres = lowerScheme == "postgresql" || lowerScheme == "postgres"
        let near = postgres ? nil : closestMatch(to: lowerScheme, among: ["postgresql", "postgres", "sqlite"])
        if postgres || near == "postgresql" || near == "postgres" {
            let written = lowerScheme == "postgres" ? "postgres" : "postgresql"
            let trimmed = rest.drop { $0 == "/" }
            let suggestion = trimmed.isEmpty ? "\(written)://HOST/DATABASE" : "\(written)://\(trimmed)"
            let start = postgres ? "a PostgreSQL URL starts with '\(written)://'" : "unknown storage scheme '\(scheme):'"
            return "\(start); did you mean '\(redacted(suggestion))'?"
        }
        if near == "sqlite" {
            return "unknown storage scheme '\(scheme):'; \(expected); did you mean 'sqlite:\(rest)'?"
        }
        return "unknown storage scheme '\(scheme):'; \(expected); for a file of that name write"
            + " './\(redacted(value))'"
    }

    /// The `scheme` of a value that starts `scheme:` (a letter, then
    /// letters, digits, `+`, `-` or `.`, at least two characters); nil for none.
    static func scheme(of value: String) -> Substring? {
        guard let colon = value.firstIndex(of: ":") else { return nil }
        let name = value[..<colon]
        guard name.count >= 2, let first = name.first, first.isASCII, first.isLetter,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        return name
    }

    /// `value` with its passwords as `***`: in a libpq string, in a URL's
    /// user part (`postgresql:/u:secret@h`, one slash or none) and query.
    static func redacted(_ value: String) -> String {
        if let pairs = conninfo(value) {
            var masked = value
            for pair in pairs.reversed() where pair.key.hasSuffix("password") {
                masked.replaceSubrange(pair.range, with: "***")
            }
            return masked
        }
        guard let scheme = scheme(of: value), !value.contains("://") else {
            return PostgresURL.redacted(value)
        }
        // `scheme:` then slashes: the same masking as with `://`.
        let afterColon = value.index(value.startIndex, offsetBy: scheme.count + 1)
        let slashes = value[afterColon...].prefix { $0 == "/" }
        let asURL = "\(scheme)://" + value[slashes.endIndex...]
        let masked = PostgresURL.redacted(asURL)
        return String(value[..<slashes.endIndex]) + masked.dropFirst(scheme.count + 3)
    }

    /// One `key=value` of a libpq string, with where its value is written.
    struct Pair {
        var key: String
        var value: String
        var range: Range<String.Index>
    }

    /// The pairs of a libpq `key=value` string (`host=h dbname='my db'`),
    /// when its first key is a libpq keyword; nil otherwise.
    static func conninfo(_ value: String) -> [Pair]? {
        var pairs: [Pair] = []
        var index = value.startIndex
        func skipSpaces() {
            while index < value.endIndex, value[index].isWhitespace { index = value.index(after: index) }
        }
        while true {
            skipSpaces()
            if index == value.endIndex { break }
            let keyStart = index
            while index < value.endIndex, value[index].isASCII,
                value[index].isLetter || value[index].isNumber || value[index] == "_"
            {
                index = value.index(after: index)
            }
            let key = value[keyStart..<index].lowercased()
            skipSpaces()
            guard !key.isEmpty, index < value.endIndex, value[index] == "=" else { break }
            if pairs.isEmpty && !conninfoKeywords.contains(key) { return nil }
            index = value.index(after: index)
            skipSpaces()
            let valueStart = index
            var text = ""
            if index < value.endIndex, value[index] == "'" {
                index = value.index(after: index)
                while index < value.endIndex, value[index] != "'" {
                    if value[index] == "\\", value.index(after: index) < value.endIndex {
                        index = value.index(after: index)
                    }
                    text.append(value[index])
                    index = value.index(after: index)
                }
                if index < value.endIndex { index = value.index(after: index) }
            } else {
                while index < value.endIndex, !value[index].isWhitespace {
                    text.append(value[index])
                    index = value.index(after: index)
                }
            }
            pairs.append(Pair(key: key, value: text, range: valueStart..<index))
        }
        return pairs.isEmpty ? nil : pairs
    }

    /// The URL a libpq string's pairs make, its password as `***`.
    static func url(from pairs: [Pair], in value: String) -> String {
        var fields: [String: String] = [:]
        var rest: [String] = []
        for pair in pairs {
            switch pair.key {
            case "user", "password", "host", "hostaddr", "port", "dbname": fields[pair.key] = pair.value
            default: rest.append(pair.key + "=" + (pair.key.hasSuffix("password") ? "***" : pair.value))
            }
        }
        var url = "postgresql://"
        if fields["user"] != nil || fields["password"] != nil {
            url += (fields["user"] ?? "") + (fields["password"] != nil ? ":***" : "") + "@"
        }
        url += fields["host"] ?? fields["hostaddr"] ?? ""
        if let port = fields["port"] { url += ":" + port }
        url += "/" + (fields["dbname"] ?? "")
        if !rest.isEmpty { url += "?" + rest.joined(separator: "&") }
        return url
    }
}
