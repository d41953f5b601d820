import Foundation

/// One HTTP request as the web page's handlers see it, independent of the
/// HTTP library: tests build these directly.
public struct WebRequest: Sendable {
    public var method: String
    /// Decoded path, without the query (`/jobs/report`).
    public var path: String
    /// Query arguments, decoded; the last value of a repeated name wins.
    public var query: [String: String]
    /// Header names in lower case.
    public var headers: [String: String]
    public var cookies: [String: String]
    /// The body, for POST requests.
    public var body: [UInt8]

    public init(
        method: String, path: String, query: [String: String] = [:],
        headers: [String: String] = [:], cookies: [String: String] = [:], body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.cookies = cookies
        self.body = body
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    public var form: [String: String] { FormDecoding.fields(body) }
}

/// What a handler answers.
public struct WebResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)]

    public init(status: Int, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public static func html(_ text: String, status: Int = 200) -> WebResponse {
        WebResponse(status: status, contentType: "text/html; charset=utf-8", body: Array(text.utf8))
    }

    public static func json(_ text: String, status: Int = 200) -> WebResponse {
        WebResponse(status: status, contentType: "application/json", body: Array(text.utf8))
    }

    public static func text(_ text: String, status: Int) -> WebResponse {
        WebResponse(
            status: status, contentType: "text/plain; charset=utf-8",
            body: Array((text + "\n").utf8))
    }

    /// `303 See Other` to `location` (after a POST).
    public static func redirect(_ location: String) -> WebResponse {
        WebResponse(
            status: 303, contentType: "text/plain; charset=utf-8",
            body: Array("see \(location)\n".utf8),
            headers: [("Location", location)])
    }

    /// The body as text (tests).
    public var text: String { String(decoding: body, as: UTF8.self) }
}
