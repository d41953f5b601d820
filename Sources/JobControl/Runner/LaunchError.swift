import Foundation

/// Why a job could not start; becomes `RunTermination.startFailed` with
/// `exitCode` (127 for a program not found, 126 otherwise) and `description`.
public enum LaunchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Looked up in PATH (`searched`) or given as a path that does not exist.
    case programNotFound(String, searched: String?)
    /// The program exists, but its `#!` interpreter does not.
    case interpreterNotFound(String, program: String)
    case notExecutable(String)
    case workdirMissing(String)
    /// The workdir names something that is not a folder (a regular file).
    case workdirNotAFolder(String)
    /// The workdir exists but cannot be entered.
    case workdirUnusable(String, reason: String)
    /// execve failed for another reason (`exec format error`, ...).
    case execFailed(String, reason: String)
    /// Pipes, descriptors or processes ran out before the job started.
    case systemError(step: String, reason: String)
    case emptyCommand

    public var exitCode: Int32 {
        switch self {
        case .programNotFound, .interpreterNotFound: return 127
        default: return 126
        }
    }

    public var description: String {
        switch self {
        case .programNotFound(let program, searched: let path?):
            "program '\(Self.shown(program))' not found in PATH (\(path))"
        case .programNotFound(let program, searched: nil):
            "program '\(Self.shown(program))' not found"
        case .interpreterNotFound(let interpreter, let program):
            "interpreter '\(interpreter)' of '\(Self.shown(program))' not found"
        case .notExecutable(let program):
            "program '\(Self.shown(program))' is not executable"
                + (Self.isFolder(program) ? " (it is a folder)" : "")
        case .workdirMissing(let folder):
            "workdir '\(folder)' does not exist"
        case .workdirNotAFolder(let folder):
            "workdir '\(folder)' is not a folder"
        case .workdirUnusable(let folder, let reason):
            "cannot enter workdir '\(folder)': \(reason)"
        case .execFailed(let program, let reason):
            "cannot run program '\(Self.shown(program))': \(reason)"
        case .systemError(let step, let reason):
            "cannot start the job: \(step) failed: \(reason)"
        case .emptyCommand:
            "the command is empty"
        }
    }

    /// Whether `path` names a folder (a command such as `["/tmp"]`).
    static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// A program's path as messages show it: `/tmp/k/./prog` (a PATH entry
    /// `.` or a relative command joined to the workdir) as `/tmp/k/prog`.
    static func shown(_ path: String) -> String {
        guard path.contains("/./") else { return path }
        var result = path
        while let range = result.range(of: "/./") { result.replaceSubrange(range, with: "/") }
        return result
    }

    /// `strerror` in lower case, as messages are written.
    static func reason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
