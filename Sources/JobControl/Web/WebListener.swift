import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A listening TCP socket on one address, opened before the HTTP library
/// starts so that a taken port is reported exactly and `--port 0` can tell
/// which port the kernel chose.
public struct WebListener: Sendable {
    public let descriptor: Int32
    public let address: String
    public let port: Int

    /// True for 127.0.0.0/8 and ::1, the only addresses served without a token.
    public static func isLoopback(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in
                bytes.prefix(15).allSatisfy { $0 == 0 } && bytes[15] == 1
            }
        }
        return false
    }

    /// Checks that `address` is an IPv4 or IPv6 address.
    ///
    /// - Throws: `WebError.badAddress`.
    public static func validate(_ address: String) throws {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, address, &v4) != 1 && inet_pton(AF_INET6, address, &v6) != 1 {
            throw WebError.badAddress(address)
        }
    }

    /// Binds and listens.
    ///
    /// - Throws: `WebError.badAddress`, `.portInUse`, `.cannotListen`.
    public init(address: String, port: Int) throws {
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        let family: Int32
        if inet_pton(AF_INET, address, &v4.sin_addr) == 1 {
            family = AF_INET
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
        } else if inet_pton(AF_INET6, address, &v6.sin6_addr) == 1 {
            family = AF_INET6
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = in_port_t(UInt16(port).bigEndian)
        } else {
            throw WebError.badAddress(address)
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw WebError.cannotListen(address: address, port: port, reason: Self.errorText())
        }
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))  // only speeds restarts
        let bound: Int32 =
            family == AF_INET
            ? withUnsafePointer(to: &v4) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            : withUnsafePointer(to: &v6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        if bound != 0 || listen(fd, 64) != 0 {
            let code = errno
            let reason = Self.errorText()
            close(fd)
            if code == EADDRINUSE { throw WebError.portInUse(address: address, port: port) }
            throw WebError.cannotListen(address: address, port: port, reason: reason)
        }
        descriptor = fd
        self.address = address
        self.port = Self.boundPort(fd)
    }

    /// `http://127.0.0.1:5050/`, with brackets around an IPv6 address.
    public var url: String {
        let host = address.contains(":") ? "[\(address)]" : address
        return "http://\(host):\(port)/"
    }

    private static func boundPort(_ fd: Int32) -> Int {
        var storage = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        // sin_port and sin6_port sit at the same offset.
        return Int(UInt16(bigEndian: storage.sin6_port))
    }

    private static func errorText() -> String { SystemErrorText.of(code: errno) }
}
