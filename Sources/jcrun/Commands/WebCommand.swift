import Foundation
import JobControl

/// `jcrun web`: serves the jobs, builds, progress and logs over HTTP until
/// SIGINT or SIGTERM, and starts builds through child `jcrun` processes.
///
/// Prints the address (`http://127.0.0.1:PORT/`) as one line on stdout and
/// one line per request on stderr. Exit 2 when it refuses to start: beyond
/// loopback without a token, a taken port, a bad option.
enum WebCommand {
    static func run(_ context: Context) throws -> Int32 {
        do {
            return try serve(context)
        } catch let error as WebError {
            context.console.error("jcrun: error: \(error)\n")
            return 2
        }
    }

    private static func serve(_ context: Context) throws -> Int32 {
        // Check the options before touching the project.
        let invocation = context.invocation
        let address = invocation.value("bind") ?? "127.0.0.1"
        let portText = invocation.value("port") ?? "5050"
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw WebError.badPort(portText)
        }
        let token = try accessToken(invocation.value("token-file"), context)
        if !WebListener.isLoopback(address) && token == nil {
            try WebListener.validate(address)
            throw WebError.tokenRequired(address: address)
        }

        // The project and its store, as every other command finds them.
        let jobs = try context.loadJobs()
        let location = try context.storeLocation(for: jobs)
        // Builds go through a child jcrun, for the same planner and locks.
        let console = context.console
        let log: @Sendable (String) -> Void = { console.error("web: \($0)\n") }
        let source = WebSource(
            loadJobs: { try context.loadJobs() },
            openStore: {
                do { return try location.open(mode: .readOnly) } catch StoreError.notInstalled {
                    return nil
                }
            },
            reapDeadRunners: { try location.reapDeadRunners() }, log: log)
        var base = ["-C", jobs.projectDir.path, "--jobs-dir", jobs.jobsDir.path]
        switch location {
        case .sqlite(let path): base += ["--storage", path]
        case .postgresql(let url): base += ["--storage", url]
        }
        let launcher = WebBuildLauncher(executable: "/proc/self/exe", baseArguments: base, log: log)
        let security = WebSecurity(
            accessToken: token, loopbackOnly: WebListener.isLoopback(address),
            readOnly: invocation.has("read-only"))
        let app = WebApp(security: security, source: source, launcher: launcher)

        // SIGINT and SIGTERM wait for sigwait below; every thread inherits the mask.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        let listener = try WebListener(address: address, port: port)
        let server = WebServer(handler: { app.respond($0) }, log: log)
        try server.start(listener)
        console.out(listener.url + "\n")
        if console.stdout.writeError != nil {  // no one learns the address (`--port 0`): stop now
            server.stop()
            return 0  // `Jcrun.finish` reports the lost write and exits 74
        }
        var received: Int32 = 0
        sigwait(&signals, &received)
        server.stop()
        console.error("web: stopped\n")
        return 0
    }

    /// `--token-file F`'s first line, else `JCRUN_WEB_TOKEN`, else nil; both
    /// checked by `WebSecurity.tokenProblem` before anything is bound.
    private static func accessToken(_ file: String?, _ context: Context) throws -> String? {
        guard let file else {
            let variable = context.environment["JCRUN_WEB_TOKEN"] ?? ""
            if variable.isEmpty { return nil }
            if let problem = WebSecurity.tokenProblem(variable) {
                throw WebError.badTokenVariable(reason: problem)
            }
            return variable
        }
        let path = context.resolve(file).path
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw WebError.badTokenFile(path: file, reason: "it cannot be read")
        }
        let token =
            text.split(whereSeparator: \.isNewline).first.map {
                $0.trimmingCharacters(in: .whitespaces)
            } ?? ""
        if let problem = WebSecurity.tokenProblem(token) {
            throw WebError.badTokenFile(path: file, reason: problem)
        }
        return token
    }
}
