import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `jcrun web` process on a free loopback port, for one test: started with
/// `--port 0`, its address read from the first line of stdout.
final class WebServerProcess {
    let process = Process()
    let address: String
    let port: Int
    private let stderrFile: URL

    /// Starts `jcrun web --port 0 EXTRA...` in `project`.
    init(project: URL, extra: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = Jcrun.binary
        process.arguments = ["web", "--port", "0"] + extra
        process.currentDirectoryURL = project
        var env = ProcessInfo.processInfo.environment
        env["JCRUN_WEB_TOKEN"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        let stdout = Pipe()
        process.standardOutput = stdout
        stderrFile = project.appendingPathComponent("web-stderr.txt")
        FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
        let line = Self.firstLine(stdout.fileHandleForReading)
        guard let url = URL(string: line), let port = url.port else {
            process.terminate()
            process.waitUntilExit()
            throw WebTestError.noAddress(
                line + (try String(contentsOf: stderrFile, encoding: .utf8)))
        }
        address = line
        self.port = port
    }

    private static func firstLine(_ handle: FileHandle) -> String {
        var bytes: [UInt8] = []
        while true {
            let chunk = handle.readData(ofLength: 1)
            guard let byte = chunk.first, byte != UInt8(ascii: "\n") else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Everything the server wrote on stderr so far (one line per request).
    var stderrText: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits: the exit status and everything on stderr.
    func stop(_ signal: Int32 = SIGTERM) -> (status: Int32, stderr: String) {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return (
            process.terminationStatus, (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? ""
        )
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    func get(_ path: String, headers: [String: String] = [:]) throws -> HTTPReply {
        try HTTPReply.send(port: port, method: "GET", path: path, headers: headers, body: "")
    }

    func post(_ path: String, form: String, headers: [String: String] = [:]) throws -> HTTPReply {
        var all = ["Content-Type": "application/x-www-form-urlencoded"]
        all.merge(headers) { $1 }
        return try HTTPReply.send(port: port, method: "POST", path: path, headers: all, body: form)
    }

    /// The CSRF token the jobs page embeds in its forms.
    func csrfToken() throws -> String {
        let page = try get("/").body
        guard let range = page.range(of: "name=\"csrf\" value=\"") else {
            throw WebTestError.noAddress("no csrf in page")
        }
        return String(page[range.upperBound...].prefix(64))
    }
}

enum WebTestError: Error {
    case noAddress(String)
    case badReply(String)
}

/// One HTTP/1.1 exchange with 127.0.0.1 over a plain socket (`Connection:
/// close`), so redirects and refusals are seen exactly as sent.
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: String

    static func send(
        port: Int, method: String, path: String, headers: [String: String], body: String
    ) throws -> HTTPReply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw WebTestError.badReply("connect failed: \(errno)") }
        var request =
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw WebTestError.badReply("write failed") }
            sent += count
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            reply += buffer[0..<count]
        }
        return try parse(String(decoding: reply, as: UTF8.self))
    }

    private static func parse(_ text: String) throws -> HTTPReply {
        guard let split = text.range(of: "\r\n\r\n") else { throw WebTestError.badReply(text) }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw WebTestError.badReply(lines[0])
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
        return HTTPReply(status: status, headers: headers, body: String(text[split.upperBound...]))
    }

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }
}

/// A throwaway project under /tmp with the web tests' jobs.
struct WebProject {
    let dir: URL

    /// `progress` counts to 20 in short sleeps and logs a `<script>` line;
    /// `report` needs it; `publish` is protected.
    static let jobs = """
        jobs:
          - id: progress
            title: "Count to twenty <slowly>"
            command: |
              for i in $(seq 1 20); do
                echo "@progress $i/20 pages -- page $i of 20"
                echo "@progress $((i / 2))/10 images"
                echo "fetched page $i"
                sleep 0.1
              done
              echo "<script>alert('x')</script>"
              echo "@retval counted"
          - id: report
            title: "Summarise the pages"
            command: "echo report"
            dependencies: [progress]
          - id: publish
            command: "echo publish"
            dependencies: [report]
            protect: true

        """

    init() throws {
        dir = URL(
            fileURLWithPath: "/tmp/jcrun-web-e2e-\(UUID().uuidString.prefix(8))", isDirectory: true)
        let jobsDir = dir.appendingPathComponent("jobs.d", isDirectory: true)
        try FileManager.default.createDirectory(at: jobsDir, withIntermediateDirectories: true)
        try Self.jobs.write(
            to: jobsDir.appendingPathComponent("web.yaml"), atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }

    /// Runs jcrun to the end in this project.
    func jcrun(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = Jcrun.binary
        process.arguments = arguments
        process.currentDirectoryURL = dir
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
