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
    /// jcrun's copies of the pipes' write ends, held until the child exits
    /// so that its streams end in one wake-up after the exit (see `CSpawn.h`).
    var writeFDs: [Int32]

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
        var spawned = jc_spawned()
        let status: Int32 = withCStrings(argv: spec.argv, environment: spec.environment) { argv, envp in
            jc_spawn(path, argv, envp, spec.workdir, &spawned)
        }
        guard status == 0 else { return .failure(error(of: spawned, program: path, spec: spec)) }
        return .success(
            ChildProcess(
                pid: spawned.pid, stdoutFD: spawned.stdout_fd, stderrFD: spawned.stderr_fd,
                directiveFD: spawned.directive_fd, pidFD: spawned.pidfd,
                writeFDs: [spawned.write_fds.0, spawned.write_fds.1, spawned.write_fds.2]))
    }

    /// The failed step as a `LaunchError` naming the program or folder.
    static func error(of spawned: jc_spawned, program: String, spec: RunSpec) -> LaunchError {
        let code = spawned.error
        switch Int(spawned.stage) {
        case Int(JC_STAGE_CHDIR.rawValue):
            return code == ENOENT || code == ENOTDIR
                ? missingWorkdir(spec.workdir)
                : .workdirUnusable(spec.workdir, reason: LaunchError.reason(code))
        case Int(JC_STAGE_EXEC.rawValue):
            switch code {
            case ENOENT:
                let absolute = program.hasPrefix("/") ? program : spec.workdir + "/" + program
                if let interpreter = missingInterpreter(of: absolute) {
                    return .interpreterNotFound(interpreter, program: program)
                }
                return .programNotFound(program, searched: nil)
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

    /// `.workdirNotAFolder` when `workdir` exists but is no folder, else `.workdirMissing`.
    static func missingWorkdir(_ workdir: String) -> LaunchError {
        var info = stat()
        guard stat(workdir, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else {
            return .workdirMissing(workdir)
        }
        return .workdirNotAFolder(workdir)
    }

    /// The interpreter a `#!` line in the regular file at `path` names,
    /// when execve said ENOENT for a file that exists: its interpreter
    /// is what is missing.
    static func missingInterpreter(of path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(fd, &buffer, buffer.count)
        guard count > 2, buffer[0] == UInt8(ascii: "#"), buffer[1] == UInt8(ascii: "!") else {
            return nil
        }
        let line = buffer[2..<count].prefix { $0 != 0x0A }
        let word = line.drop { $0 == 0x20 || $0 == 0x09 }.prefix { $0 != 0x20 && $0 != 0x09 }
        guard !word.isEmpty else { return nil }
        return String(decoding: word, as: UTF8.self)
    }

    /// `program` itself when it holds a `/`, else the first executable
    /// regular file named so in `searchPath` (relative entries, and the
    /// empty one, are relative to `workdir`, where the job runs).
    static func resolve(_ program: String, searchPath: String?, workdir: String) -> Result<
        String, LaunchError
    > {
        if program.utf8.contains(UInt8(ascii: "/")) { return .success(program) }
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
            return .failure(missingWorkdir(workdir))
        }
        if let notExecutable { return .failure(.notExecutable(notExecutable)) }
        return .failure(.programNotFound(program, searched: searched))
    }

    /// Calls `body` with NULL-terminated `argv` and `envp` arrays of
    /// NUL-terminated strings (`NAME=value` for the environment), all copied
    /// into one allocation without making a `String` per variable.
    typealias CStringArray = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    static func withCStrings<R>(
        argv: [String], environment: [String: String],
        _ body: (_ argv: CStringArray, _ environment: CStringArray) -> R
    ) -> R {
        var size = 0
        for string in argv { size += string.utf8.count + 1 }
        for (name, value) in environment { size += name.utf8.count + value.utf8.count + 2 }
        let block = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(size, 1))
        defer { block.deallocate() }
        let count = argv.count + 1 + environment.count + 1
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: count)
        defer { pointers.deallocate() }
        let start = UnsafeMutableRawPointer(block.baseAddress!).assumingMemoryBound(to: CChar.self)
        var offset = 0
        var slot = 0
        for string in argv {
            pointers[slot] = start + offset
            slot += 1
            offset = copy(string, into: block, at: offset)
            block[offset] = 0
            offset += 1
        }
        pointers[slot] = nil
        slot += 1
        let envp = pointers + slot
        for (name, value) in environment {
            pointers[slot] = start + offset
            slot += 1
            offset = copy(name, into: block, at: offset)
            block[offset] = UInt8(ascii: "=")
            offset = copy(value, into: block, at: offset + 1)
            block[offset] = 0
            offset += 1
        }
        pointers[slot] = nil
        return body(pointers, envp)
    }

    /// Copies `text`'s UTF-8 bytes into `block` at `offset`; returns the offset after them.
    private static func copy(_ text: String, into block: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return offset }
            (block.baseAddress! + offset).update(from: base, count: bytes.count)
            return offset + bytes.count
        }
    }
}
