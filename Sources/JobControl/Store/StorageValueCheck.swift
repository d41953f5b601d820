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
        if lowered.hasPrefix("sqlite://"), !lowered.hasPrefix("sqlite://localhost/"), let next = lowered.dropFirst("sqlite://".count).first,
            next != "/"
        {
            let rest = value.dropFirst("sqlite://".count)
            let host = rest.prefix { $0 != "/" }
            return "'sqlite://' is followed by a host ('\(host)'); write sqlite:///PATH for an"
                + " absolute path or sqlite:PATH for a relative one: did you mean 'sqlite:///\(rest)'"
                + " or 'sqlite:\(rest)'?"
        }
        if let problem = postgresPrefixProblem(value) { return problem }
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

    /// A value starting `postgres` (any case) that is no `scheme:` form
    /// handled above (`postgresql//u:pw@h/x`, `postgresql/x`): a mistyped URL.
    static func postgresPrefixProblem(_ value: String) -> String? {
        let lowered = value.lowercased()
        guard lowered.hasPrefix("postgres") else { return nil }
        if let scheme = scheme(of: value), lowered.hasPrefix(scheme.lowercased() + ":") {
            let name = scheme.lowercased()
            if name == "postgres" || name == "postgresql" { return nil }  // said by `problem`
        }
        let written = lowered.hasPrefix("postgresql") ? "postgresql" : "postgres"
        let after = value.dropFirst(written.count)
        // `postgres.db` and `postgresql-old.db` stay file names.
        guard after.first == ":" || after.first == "/" || after.contains("@") else { return nil }
        let rest = after.drop { $0 == ":" || $0 == "/" }
        let suggestion = rest.isEmpty ? "\(written)://HOST/DATABASE" : "\(written)://\(rest)"
        let file = value.contains("@") ? "" : " (for a file of that name write './\(value)')"
        return "a PostgreSQL URL starts with '\(written)://'; did you mean '\(redacted(suggestion))'?"
            + file
    }

    /// What is wrong with a value taken as a path that holds a
    /// `user:password@host` part (`./u:pw@h/x`): refused, as a URL written
    /// wrong, so that no message shows the password.
    static func userInfoProblem(_ path: String) -> String? {
        guard path.split(separator: "/").contains(where: { maskedSegment($0) != nil }) else {
            return nil
        }
        return "'\(redacted(path))' holds a 'user:password@host' part, as a PostgreSQL URL"
                + " does; write postgresql://USER:PASSWORD@HOST/DATABASE, or rename the file"
    }

    /// What is wrong with a `postgresql://` URL that libpq would read
    /// differently from what its writer meant: a second `@` or a `/` in the
    /// user part (`u:p@ss@h`), which would send part of the password as the host.
    static func urlProblem(_ url: String) -> String? {
        guard let start = url.range(of: "://")?.upperBound else { return nil }
        let rest = url[start...].prefix { $0 != "?" }
        let ats = rest.filter { $0 == "@" }.count
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        if ats > 1 || (ats == 1 && !rest[..<authorityEnd].contains("@")) {
            return "the user part holds an '@' or a '/'; write '@' in a user name or password as"
                + " %40 and '/' as %2F"
        }
        return nil
    }

    /// A path segment `user:password@host` with the password as `***`; nil
    /// for a segment that holds no such part.
    static func maskedSegment(_ segment: Substring) -> String? {
        guard let at = segment.lastIndex(of: "@"), let colon = segment[..<at].firstIndex(of: ":"),
            colon > segment.startIndex, segment.index(after: colon) < at
        else { return nil }
        return String(segment[...colon]) + "***" + String(segment[at...])
    }

    /// `value` with control characters written as escapes (`\x0a`,
    /// `\x1b`), as every jcrun message shows them, so a message stays one line.
    static func escaped(_ value: String) -> String { VisibleText.escaped(value) }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
            || scalar.properties.generalCategory == .lineSeparator
            || scalar.properties.generalCategory == .paragraphSeparator
    }

    /// What is wrong with a value's characters: whitespace at either end or a
    /// control character anywhere would become part of a file name (`a.db\n`)
    /// or a URL. Refused, not trimmed: jcrun never guesses which name was meant.
    static func textProblem(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed != value, !trimmed.isEmpty {
            return "the storage value starts or ends with whitespace, which would be part of the"
                + " name; did you mean '\(escaped(redacted(trimmed)))'?"
        }
        if trimmed != value {
            return "the storage value is only whitespace; \(expected)"
        }
        if value.utf8.contains(0) { return "the storage setting holds a NUL byte (\\0)" }
        if value.unicodeScalars.contains(where: isControl) {
            return "the storage value holds a control character; \(expected)"
        }
        return nil
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
            if value.contains("://") { return PostgresURL.redacted(value) }
            return PostgresURL.redacted(maskedSegments(value))
        }
        // `scheme:` then slashes: the same masking as with `://`.
        let afterColon = value.index(value.startIndex, offsetBy: scheme.count + 1)
        let slashes = value[afterColon...].prefix { $0 == "/" }
        let asURL = "\(scheme)://" + value[slashes.endIndex...]
        let masked = PostgresURL.redacted(asURL)
        return String(value[..<slashes.endIndex]) + masked.dropFirst(scheme.count + 3)
    }

    /// `value` with each `/`-separated `user:password@host` part masked.
    static func maskedSegments(_ value: String) -> String {
        guard value.contains("@") else { return value }
        return value.split(separator: "/", omittingEmptySubsequences: false)
            .map { maskedSegment($0) ?? String($0) }.joined(separator: "/")
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
            let keyEnd = index
            skipSpaces()
            guard !key.isEmpty, index < value.endIndex, value[index] == "=" else {
                // A word with no `=` (`password=se cret`): part of the value
                // before it, as far as masking goes.
                guard !pairs.isEmpty else { break }
                index = keyEnd
                while index < value.endIndex, !value[index].isWhitespace {
                    index = value.index(after: index)
                }
                if index == keyStart { index = value.index(after: index) }
                let last = pairs.count - 1
                pairs[last].value += " " + value[keyStart..<index]
                pairs[last].range = pairs[last].range.lowerBound..<index
                continue
            }
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
