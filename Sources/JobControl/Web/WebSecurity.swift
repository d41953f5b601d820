import Foundation

/// The web page's guards: the per-server CSRF token every form carries, the
/// access token required when serving beyond loopback, and the Host and
/// Origin checks that keep other sites (and DNS rebinding) out.
public struct WebSecurity: Sendable {
    /// Embedded in every form; a POST without it is refused.
    public let csrfToken: String
    /// Required on every request when set (`--token-file`, `JCRUN_WEB_TOKEN`).
    public let accessToken: String?
    /// Only these Host names are accepted when serving on loopback.
    public let loopbackOnly: Bool
    public let readOnly: Bool

    public static let tokenCookie = "jcrun_token"

    public init(
        csrfToken: String = WebSecurity.randomToken(), accessToken: String?, loopbackOnly: Bool,
        readOnly: Bool
    ) {
        self.csrfToken = csrfToken
        self.accessToken = accessToken
        self.loopbackOnly = loopbackOnly
        self.readOnly = readOnly
    }

    /// Headers on every response: no sniffing, no framing, scripts only from here.
    static let standardHeaders: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cache-Control", "no-store"),
        (
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
        ),
    ]

    /// Why `token` cannot be an access token, or nil when it can: the one check
    /// for `--token-file` and `JCRUN_WEB_TOKEN`. At least 16 characters, and
    /// only printable ASCII that can sit in a header and a cookie unquoted.
    public static func tokenProblem(_ token: String) -> String? {
        if token.unicodeScalars.count < 16 { return "the token must be at least 16 characters" }
        let allowed = token.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ";") && byte != UInt8(ascii: ",")
                && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
        }
        if !allowed {
            return "the token must be printable ASCII without spaces, quotes, commas, semicolons or backslashes"
        }
        return nil
    }

    /// 32 random bytes as hex.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            String(format: "%02x", UInt8.random(in: 0...255, using: &generator))
        }.joined()
    }

    /// The refusal for `request`, or nil when it may proceed to its handler.
    func refusal(for request: WebRequest) -> WebResponse? {
        if let accessToken, !hasAccessToken(request, accessToken) {
            return .text(
                "access token required: send 'Authorization: Bearer TOKEN' or open /?token=TOKEN once",
                status: 401)
        }
        if loopbackOnly {
            // Every HTTP/1.1 client sends Host; without one, a DNS-rebinding
            // check has nothing to check.
            guard let host = request.headers["host"] else {
                return .text("a request needs a Host header", status: 400)
            }
            if !Self.isLoopbackHost(host) {
                return .text("unexpected Host '\(host)'; open the page at 127.0.0.1", status: 403)
            }
        }
        switch request.method {
        case "GET", "HEAD": return nil
        case "POST": return postRefusal(request)
        default:
            var response = WebResponse.text("method \(request.method) not allowed", status: 405)
            response.headers.append(("Allow", "GET, HEAD, POST"))
            return response
        }
    }

    /// A POST changes state: refused when read-only, from another origin, or without the CSRF token.
    private func postRefusal(_ request: WebRequest) -> WebResponse? {
        if readOnly {
            return .text(
                "this server is read-only (--read-only); nothing can be started here", status: 403)
        }
        if let origin = request.headers["origin"], let host = request.headers["host"],
            origin != "http://\(host)" && origin != "https://\(host)"
        {
            return .text(
                "cross-origin request refused: Origin '\(origin)' is not this server", status: 403)
        }
        guard let token = request.form["csrf"], Self.equal(token, csrfToken) else {
            return .text("missing or wrong CSRF token; reload the page and try again", status: 403)
        }
        return nil
    }

    private func hasAccessToken(_ request: WebRequest, _ token: String) -> Bool {
        // The scheme's name is case-insensitive (RFC 9110, 11.1).
        if let header = request.headers["authorization"],
            header.prefix(7).lowercased() == "bearer ",
            Self.equal(String(header.dropFirst(7)), token)
        {
            return true
        }
        if let cookie = request.cookies[Self.tokenCookie], Self.equal(cookie, token) { return true }
        if let query = request.query["token"], Self.equal(query, token) { return true }
        return false
    }

    /// `127.0.0.1:5050`, `localhost`, `[::1]:80`.
    static func isLoopbackHost(_ host: String) -> Bool {
        var name = host
        if name.hasPrefix("["), let end = name.firstIndex(of: "]") {
            name = String(name[name.index(after: name.startIndex)..<end])
        } else if let colon = name.lastIndex(of: ":") {
            name = String(name[..<colon])
        }
        // Host names are case-insensitive (RFC 9110, 7.2).
        return name.lowercased() == "localhost" || WebListener.isLoopback(name)
    }

    /// Compares in time independent of where the strings differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
