import CMicroHTTPD
import Foundation

/// The HTTP side of `jcrun web`: libmicrohttpd on a `WebListener`, each
/// request turned into a `WebRequest` and answered by `handler` on the
/// connection's own thread.
///
/// libmicrohttpd calls plain C functions; the server passes itself as the
/// context pointer and keeps each request's body in a `RequestState` that
/// lives from the first call to the completion callback.
public final class WebServer: @unchecked Sendable {
    public typealias Handler = @Sendable (WebRequest) -> WebResponse

    /// Bodies larger than this are refused (413); forms here are tiny.
    static let maxBody = 64 * 1024

    /// Open connections from one address beyond loopback ; 0, no limit, on loopback.
    static let perAddressLimit: UInt32 = 32

    private let handler: Handler
    private let log: @Sendable (String) -> Void
    private var daemon: OpaquePointer?

    /// `log` receives one line per request: method, path, status, ms.
    public init(handler: @escaping Handler, log: @escaping @Sendable (String) -> Void) {
        self.handler = handler
        self.log = log
    }

    /// Starts serving on `listener` (which the daemon then owns).
    ///
    /// - Throws: `WebError.daemonFailed`.
    public func start(_ listener: WebListener) throws {
        let context = Unmanaged.passUnretained(self).toOpaque()
        let perIP: UInt32 = WebListener.isLoopback(listener.address) ? 0 : Self.perAddressLimit
        daemon = jc_mhd_start(
            listener.descriptor, accessHandler, context, completedHandler, nil, perIP)
        if daemon == nil { throw WebError.daemonFailed }
    }

    /// Stops accepting, waits for the connections' threads, closes the socket.
    public func stop() {
        if let daemon { MHD_stop_daemon(daemon) }
        daemon = nil
    }

    /// Answers one complete request on `connection`.
    fileprivate func respond(
        _ connection: OpaquePointer, method: String, url: String, state: RequestState
    ) -> MHD_Result {
        // Gather the request.
        var request = WebRequest(method: method, path: url, body: state.body)
        request.query = Self.values(connection, .GET_ARGUMENT_KIND, lowercased: false)
        request.headers = Self.values(connection, .HEADER_KIND, lowercased: true)
        request.cookies = Self.values(connection, .COOKIE_KIND, lowercased: false)
        let response: WebResponse
        if let refusal = state.refusal ?? (state.tooLarge ? .bodyTooLarge : nil) {
            // Refused before the handler: as JSON under /api, as text elsewhere.
            let text = WebResponse.text(refusal.message, status: refusal.status)
            response = WebAPI.isAPI(url) ? WebAPI.asJSON(text) : text
        } else {
            response = handler(request)
        }

        // Send it.
        let mhd = response.body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                .RESPMEM_MUST_COPY)
        }
        guard let mhd else { return .NO }
        MHD_add_response_header(mhd, "Content-Type", response.contentType)
        for (name, value) in WebSecurity.standardHeaders + response.headers {
            MHD_add_response_header(mhd, name, value)
        }
        let result = MHD_queue_response(connection, UInt32(response.status), mhd)
        MHD_destroy_response(mhd)
        let millis = (DispatchTime.now().uptimeNanoseconds - state.started) / 1_000_000
        log("\(method) \(url) \(response.status) \(millis)ms")
        return result
    }

    /// Every value of one kind (headers, query arguments, cookies).
    private static func values(
        _ connection: OpaquePointer, _ kind: MHD_ValueKind, lowercased: Bool
    ) -> [String: String] {
        final class Box {
            var values: [String: String] = [:]
            var lowercased = false
        }
        let box = Box()
        box.lowercased = lowercased
        let iterator: MHD_KeyValueIterator = { cls, _, key, value in
            let box = Unmanaged<Box>.fromOpaque(cls!).takeUnretainedValue()
            guard let key else { return .YES }
            let name = String(cString: key)
            box.values[box.lowercased ? name.lowercased() : name] =
                value.map { String(cString: $0) } ?? ""
            return .YES
        }
        withExtendedLifetime(box) {
            _ = MHD_get_connection_values(
                connection, kind, iterator, Unmanaged.passUnretained(box).toOpaque())
        }
        return box.values
    }
}

/// A request's body so far, and when it began.
private final class RequestState {
    var body: [UInt8] = []
    var tooLarge = false
    /// What `jc_mhd_uri_log` found wrong with the request line, if anything.
    var refusal: EarlyRefusal?
    let started = DispatchTime.now().uptimeNanoseconds
}

/// A request answered without reaching the handler.
private enum EarlyRefusal {
    /// More query arguments than libmicrohttpd can hold.
    case tooManyArguments
    /// A path and query longer than JC_MHD_MAX_TARGET bytes.
    case targetTooLong
    case bodyTooLarge

    var status: Int { self == .bodyTooLarge ? 413 : 414 }

    var message: String {
        switch self {
        case .tooManyArguments: return "too many query parameters (at most \(JC_MHD_MAX_ARGUMENTS))"
        case .targetTooLong:
            return "request target too long (at most \(JC_MHD_MAX_TARGET) bytes of path and query)"
        case .bodyTooLarge: return "request body too large"
        }
    }

    /// The refusal a marker of `jc_mhd_uri_log` stands for; nil for none.
    init?(marker: UnsafeMutableRawPointer?) {
        switch marker {
        case jc_mhd_too_many_arguments(): self = .tooManyArguments
        case jc_mhd_target_too_long(): self = .targetTooLong
        default: return nil
        }
    }
}

/// libmicrohttpd's access handler: called once with no state, then once per
/// body chunk, then once with an empty chunk when the request is complete.
private let accessHandler: MHD_AccessHandlerCallback = {
    cls, connection, url, method, _, uploadData, uploadSize, requestContext in
    guard let cls, let connection, let requestContext, let uploadSize else { return .NO }
    guard let pointer = requestContext.pointee, EarlyRefusal(marker: pointer) == nil else {
        let state = RequestState()
        state.refusal = EarlyRefusal(marker: requestContext.pointee)
        requestContext.pointee = Unmanaged.passRetained(state).toOpaque()
        return .YES
    }
    let state = Unmanaged<RequestState>.fromOpaque(pointer).takeUnretainedValue()
    if uploadSize.pointee > 0 {
        if let uploadData, state.body.count + uploadSize.pointee <= WebServer.maxBody {
            uploadData.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) {
                state.body.append(
                    contentsOf: UnsafeBufferPointer(start: $0, count: uploadSize.pointee))
            }
        } else {
            state.tooLarge = true
        }
        uploadSize.pointee = 0
        return .YES
    }
    let server = Unmanaged<WebServer>.fromOpaque(cls).takeUnretainedValue()
    return server.respond(
        connection, method: method.map { String(cString: $0) } ?? "GET",
        url: url.map { String(cString: $0) } ?? "/", state: state)
}

/// Frees the request's state once libmicrohttpd is done with it.
private let completedHandler: MHD_RequestCompletedCallback = { _, _, requestContext, _ in
    guard let requestContext, let pointer = requestContext.pointee,
        EarlyRefusal(marker: pointer) == nil
    else { return }
    Unmanaged<RequestState>.fromOpaque(pointer).release()
    requestContext.pointee = nil
}
