import CSpawn
import Foundation

/// A started job's process: its pid (also its session and process group)
/// and the parent's ends of its pipes. Owned by one `RunSession`.
struct ChildProcess {
    var pid: pid_t
    var stdoutFD: Int32
    var stderrFD: Int32
    var directiveFD: Int32
    /// Readable once the process exits; -1 without kernel support.
    var pidFD: Int32

    /// The shell's default search path when the job's environment has none
    /// (glibc's `execvp` uses the same).
    static let defaultPath = "/bin:/usr/bin"

    /// Starts `spec`'s command: a PATH lookup in the job's own environment,
    /// then the CSpawn child setup.
    static func start(_ spec: RunSpec) -> Result<ChildProcess, LaunchError> {
        guard let program = spec.argv.first, !program.isEmpty else {
            return .failure(.emptyCommand)
        }
        let path: String
        switch resolve(program, searchPath: spec.environment["PATH"], workdir: spec.workdir) {
        case .success(let found): path = found
        case .failure(let error): return .failure(error)
        }

        // argv and envp as one block of C strings.
        var strings = spec.argv
        let argc = strings.count
        for (name, value) in spec.environment { strings.append("\(name)=\(value)") }
        var spawned = jc_spawned()
        let status: Int32 = withCStrings(strings) { pointers in
            var argv = Array(pointers[0..<argc]) + [nil]
            var envp = Array(pointers[argc...]) + [nil]
            return argv.withUnsafeMutableBufferPointer { a in
                envp.withUnsafeMutableBufferPointer { e in
                    jc_spawn(path, a.baseAddress!, e.baseAddress!, spec.workdir, &spawned)
                }
            }
        }
        guard status == 0 else { return .failure(error(of: spawned, program: path, spec: spec)) }
        return .success(
            ChildProcess(
                pid: spawned.pid, stdoutFD: spawned.stdout_fd, stderrFD: spawned.stderr_fd,
                directiveFD: spawned.directive_fd, pidFD: spawned.pidfd))
    }

    /// The failed step as a `LaunchError` naming the program or folder.
    static func error(of spawned: jc_spawned, program: String, spec: RunSpec) -> LaunchError {
        let code = spawned.error
        switch Int(spawned.stage) {
        case Int(JC_STAGE_CHDIR.rawValue):
            return code == ENOENT || code == ENOTDIR
                ? .workdirMissing(spec.workdir)
                : .workdirUnusable(spec.workdir, reason: LaunchError.reason(code))
        case Int(JC_STAGE_EXEC.rawValue):
            switch code {
            case ENOENT: return .programNotFound(program, searched: nil)
            case EACCES: return .notExecutable(program)
            default: return .execFailed(program, reason: LaunchError.reason(code))
            }
        case Int(JC_STAGE_PIPE.rawValue):
            return .systemError(step: "creating pipes", reason: LaunchError.reason(code))
        case Int(JC_STAGE_FORK.rawValue):
            return .systemError(step: "vfork", reason: LaunchError.reason(code))
        default:
            return .systemError(step: "setting up the child", reason: LaunchError.reason(code))
        }
    }

    /// `program` itself when it holds a `/`, else the first executable
    /// regular file named so in `searchPath` (relative entries, and the
    /// empty one, are relative to `workdir`, where the job runs).
    static func resolve(_ program: String, searchPath: String?, workdir: String) -> Result<
        String, LaunchError
    > {
        if program.contains("/") { return .success(program) }
        let searched = searchPath ?? defaultPath
        var notExecutable: String?
        for entry in searched.split(separator: ":", omittingEmptySubsequences: false) {
            let dir = entry.isEmpty ? "." : String(entry)
            let candidate = dir + "/" + program
            let absolute = dir.hasPrefix("/") ? candidate : workdir + "/" + candidate
            var info = stat()
            guard stat(absolute, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            if access(absolute, X_OK) == 0 { return .success(absolute) }
            notExecutable = notExecutable ?? absolute
        }
        var info = stat()
        if stat(workdir, &info) != 0 || info.st_mode & S_IFMT != S_IFDIR {
            return .failure(.workdirMissing(workdir))
        }
        if let notExecutable { return .failure(.notExecutable(notExecutable)) }
        return .failure(.programNotFound(program, searched: searched))
    }

    /// Calls `body` with NUL-terminated copies of `strings` in one allocation.
    static func withCStrings<R>(
        _ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R
    ) -> R {
        var size = 0
        for string in strings { size += string.utf8.count + 1 }
        let block = UnsafeMutablePointer<CChar>.allocate(capacity: max(size, 1))
        defer { block.deallocate() }
        var pointers: [UnsafeMutablePointer<CChar>?] = []
        pointers.reserveCapacity(strings.count)
        var offset = 0
        for string in strings {
            let start = block + offset
            for byte in string.utf8 {
                block[offset] = CChar(bitPattern: byte)
                offset += 1
            }
            block[offset] = 0
            offset += 1
            pointers.append(start)
        }
        return body(pointers)
    }
}
