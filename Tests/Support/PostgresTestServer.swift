import CPostgres
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A private PostgreSQL 15 server for the tests of one test process: made
/// with `initdb` in a folder under /tmp, run as the unprivileged `postgres`
/// user (tests run as root here and in CI, and PostgreSQL refuses root),
/// listening on 127.0.0.1 only on a free port, its unix socket in the same
/// folder. Started on first use, stopped by its pid when the process exits.
///
/// Password authentication is on for TCP (`scram-sha-256`) so that tests can
/// check that a wrong password never shows in a message.
public final class PostgresTestServer: @unchecked Sendable {
    public static let binaries = "/usr/lib/postgresql/15/bin"
    public static let user = "jcrun"
    public static let password = "s3cret-Pa55word"

    /// The shared server, or why there is none (binaries missing, start failed).
    public static let shared: Result<PostgresTestServer, PostgresTestServerError> = start()

    /// Why PostgreSQL tests are skipped, printed once; nil when they run.
    /// Only missing server binaries skip them: a server that is installed but
    /// fails to start makes the tests fail with the reason.
    public static let skipReason: String? = {
        guard !binariesInstalled else { return nil }
        let reason = "PostgreSQL tests skipped: \(binaries)/initdb not found; run scripts/setup to install postgresql-15"
        FileHandle.standardError.write(Data((reason + "\n").utf8))
        return reason
    }()

    static var binariesInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: binaries + "/initdb")
            && FileManager.default.isExecutableFile(atPath: binaries + "/postgres")
    }

    public let folder: String
    public let port: Int
    public let pid: pid_t
    private let lock = NSLock()
    private var databases = 0

    private init(folder: String, port: Int, pid: pid_t) {
        self.folder = folder
        self.port = port
        self.pid = pid
    }

    /// A URL for database `name` (with the password).
    public func url(database: String, password: String = PostgresTestServer.password) -> String {
        "postgresql://\(Self.user):\(password)@127.0.0.1:\(port)/\(database)"
    }

    /// A new empty database; its URL.
    public func createDatabase() throws -> String {
        let name: String = lock.withLock {
            databases += 1
            return "t\(getpid())_\(databases)"
        }
        try run(sql: "CREATE DATABASE \(name) TEMPLATE template0")
        return url(database: name)
    }

    /// Runs `sql` as the superuser in the `postgres` database.
    public func run(sql: String) throws {
        guard let connection = PQconnectdb(url(database: "postgres")) else {
            throw PostgresTestServerError(message: "out of memory")
        }
        defer { PQfinish(connection) }
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw PostgresTestServerError(message: String(cString: PQerrorMessage(connection)))
        }
    }

    /// The rows of `sql` run on the database at `url`, as text (NULL is nil).
    public func rows(_ sql: String, url: String) throws -> [[String?]] {
        guard let connection = PQconnectdb(url) else {
            throw PostgresTestServerError(message: "out of memory")
        }
        defer { PQfinish(connection) }
        let result = PQexec(connection, sql)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw PostgresTestServerError(message: String(cString: PQerrorMessage(connection)))
        }
        return (0..<PQntuples(result)).map { row in
            (0..<PQnfields(result)).map { column in
                PQgetisnull(result, row, column) != 0
                    ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }

    // MARK: Starting and stopping

    private static func start() -> Result<PostgresTestServer, PostgresTestServerError> {
        let fileManager = FileManager.default
        guard fileManager.isExecutableFile(atPath: binaries + "/initdb"),
            fileManager.isExecutableFile(atPath: binaries + "/postgres")
        else {
            return .failure(
                PostgresTestServerError(
                    message:
                        "\(binaries)/initdb not found; run scripts/setup to install postgresql-15"))
        }
        do {
            let server = try launch()
            let stop: @convention(c) () -> Void = { PostgresTestServer.stopShared() }
            atexit(stop)
            return .success(server)
        } catch let error as PostgresTestServerError {
            return .failure(error)
        } catch {
            return .failure(PostgresTestServerError(message: "\(error)"))
        }
    }

    private static func launch() throws -> PostgresTestServer {
        // A folder the unprivileged user owns.
        var template = Array("/tmp/jcrun-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw PostgresTestServerError(message: "mkdtemp failed")
        }
        let folder = String(cString: made)
        let (uid, gid) = try unprivilegedUser()
        chmod(folder, 0o700)
        chown(folder, uid, gid)
        let passwordFile = folder + "/password"
        FileManager.default.createFile(atPath: passwordFile, contents: Data(password.utf8))
        chown(passwordFile, uid, gid)

        // initdb, then the server in the foreground of its own process.
        let data = folder + "/data"
        try runAsUser(
            binaries + "/initdb",
            [
                "-D", data, "-U", user, "--pwfile=" + passwordFile, "--auth-local=trust",
                "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
                "--no-instructions",
            ], log: folder + "/initdb.log")
        let port = try freePort()
        let pid = try spawnAsUser(
            binaries + "/postgres",
            [
                "-D", data, "-p", String(port), "-k", folder, "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=300", "-c", "shared_buffers=32MB",
            ], log: folder + "/server.log")
        let server = PostgresTestServer(folder: folder, port: port, pid: pid)
        sharedPid = pid
        sharedFolder = folder

        // Ready when a connection succeeds (up to 30 s).
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let connection = PQconnectdb(server.url(database: "postgres")) {
                let ok = PQstatus(connection) == CONNECTION_OK
                PQfinish(connection)
                if ok { return server }
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let log =
                    (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
                throw PostgresTestServerError(message: "the server exited: \(log)")
            }
            usleep(50_000)
        }
        stopShared()
        throw PostgresTestServerError(message: "the server did not accept connections within 30 s")
    }

    nonisolated(unsafe) private static var sharedPid: pid_t = 0
    nonisolated(unsafe) private static var sharedFolder: String?

    /// Fast shutdown by pid, then the folder removed.
    private static func stopShared() {
        guard sharedPid > 0 else { return }
        kill(sharedPid, SIGINT)
        var status: Int32 = 0
        for _ in 0..<200 {
            if waitpid(sharedPid, &status, WNOHANG) == sharedPid { break }
            usleep(50_000)
        }
        sharedPid = 0
        if let folder = sharedFolder { try? FileManager.default.removeItem(atPath: folder) }  // /tmp is cleaned anyway
    }

    /// The `postgres` system user (made by the postgresql package), or `nobody`.
    private static func unprivilegedUser() throws -> (uid_t, gid_t) {
        for name in ["postgres", "nobody"] {
            if let entry = getpwnam(name) { return (entry.pointee.pw_uid, entry.pointee.pw_gid) }
        }
        throw PostgresTestServerError(
            message: "no unprivileged user (postgres or nobody) to run the server as")
    }

    private static func userName() -> String {
        getpwnam("postgres") != nil ? "postgres" : "nobody"
    }

    /// The program and its arguments as run by `setpriv` under the unprivileged
    /// user (when root), so that the pid spawned is the program's own.
    private static func commandLine(_ program: String, _ arguments: [String]) -> (String, [String])
    {
        guard getuid() == 0 else { return (program, arguments) }
        return (
            "/usr/bin/setpriv",
            [
                "--reuid=" + userName(), "--regid=" + userName(), "--init-groups", "--", program,
            ] + arguments
        )
    }

    private static func runAsUser(_ program: String, _ arguments: [String], log: String) throws {
        let pid = try spawnAsUser(program, arguments, log: log)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw PostgresTestServerError(message: "\(program) failed: \(text)")
        }
    }

    private static func spawnAsUser(_ program: String, _ arguments: [String], log: String) throws
        -> pid_t
    {
        let (path, argv) = commandLine(program, arguments)
        FileManager.default.createFile(atPath: log, contents: nil)
        if let (uid, gid) = try? unprivilegedUser() { chown(log, uid, gid) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_APPEND, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let all = [path] + argv
        var cArguments: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, &actions, nil, &cArguments, environ)
        guard code == 0 else {
            throw PostgresTestServerError(
                message: "cannot start \(program): \(String(cString: strerror(code)))")
        }
        return pid
    }

    private static func freePort() throws -> Int {
        guard let (fd, port) = loopbackSocket(listening: false) else {
            throw PostgresTestServerError(message: "cannot find a free port")
        }
        close(fd)
        return port
    }

    /// A TCP socket bound to a free port of 127.0.0.1 (listening, when
    /// asked: it accepts connections and never answers them), and its port;
    /// nil when none can be had. The caller closes it.
    public static func loopbackSocket(listening: Bool) -> (fd: Int32, port: Int)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(fd, generic, length) == 0 && (!listening || listen(fd, 4) == 0)
                    && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            return nil
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}

public struct PostgresTestServerError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
