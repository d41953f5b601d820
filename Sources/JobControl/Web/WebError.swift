/// Why `jcrun web` cannot start or serve (exit 2 for the start-up cases).
public enum WebError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `--bind` is not an IPv4 or IPv6 address.
    case badAddress(String)
    /// `--port` is not 0...65535.
    case badPort(String)
    /// Bound beyond loopback with no access token.
    case tokenRequired(address: String)
    /// The token file cannot be read or is empty.
    case badTokenFile(path: String, reason: String)
    /// `JCRUN_WEB_TOKEN` fails `WebSecurity.tokenProblem`.
    case badTokenVariable(reason: String)
    /// bind(2) said EADDRINUSE.
    case portInUse(address: String, port: Int)
    /// socket, bind or listen failed otherwise.
    case cannotListen(address: String, port: Int, reason: String)
    /// libmicrohttpd refused to start.
    case daemonFailed

    public var description: String {
        switch self {
        case .badAddress(let text):
            return "option '--bind' expects an IP address such as 127.0.0.1 or ::1, got '\(text)'"
        case .badPort(let text):
            return "option '--port' expects a number from 0 to 65535, got '\(text)'"
        case .tokenRequired(let address):
            return
                "refusing to serve on \(address) without an access token; pass --token-file FILE or set JCRUN_WEB_TOKEN, or bind to 127.0.0.1"
        case .badTokenFile(let path, let reason):
            return "\(path): cannot use as token file: \(reason)"
        case .badTokenVariable(let reason):
            return "JCRUN_WEB_TOKEN: cannot use as access token: \(reason)"
        case .portInUse(let address, let port):
            return
                "\(address):\(port) is already in use; choose another --port, or --port 0 for a free one"
        case .cannotListen(let address, let port, let reason):
            return "cannot listen on \(address):\(port): \(reason)"
        case .daemonFailed: return "libmicrohttpd could not start the server"
        }
    }
}
