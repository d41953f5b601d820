import Foundation
import Jinja
import YAMLNodes

/// Gives the template engine the files of `jobs.d/` by name.
///
/// Names are relative to `jobs.d/`; `..` components and absolute names are
/// "not found", as with Jinja's file loader.
struct JobsDirLoader: TemplateLoader {
    let jobsDir: URL
    /// Records each file read (and each one not found) for the job-set cache.
    var inputs: CacheInputs?

    func source(named name: String) throws -> String? {
        if name.isEmpty || name.hasPrefix("/") { return nil }
        if name.split(separator: "/").contains("..") { return nil }
        let path = jobsDir.appendingPathComponent(name).path
        let read: Data?
        if let inputs {
            read = inputs.read(path)
        } else {
            read = FileManager.default.contents(atPath: path)
        }
        guard let data = read else {
            if let kind = Self.notARegularFile(path) { throw NotARegularFile(kind: kind) }
            return nil
        }
        do {
            return try decodeUTF8(data)
        } catch YAMLError.invalidText(let message, let mark) {
            throw TemplateError(
                position: SourcePosition(file: name, line: mark.line, column: mark.column),
                message: message)
        }
    }

    /// What `path` is when it exists but is no regular file (a FIFO, a
    /// folder, ...), so the include says so rather than "not found".
    static func notARegularFile(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return kind(ofMode: info.st_mode)
    }

    /// How a message names a file of `mode` that is not a regular file
    /// (`a folder`, `a named pipe (FIFO)`, ...); nil for a regular file.
    static func kind(ofMode mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a named pipe (FIFO)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR, S_IFBLK: return "a device"
        default: return "something that is not a regular file"
        }
    }
}

/// An included or imported name that is a FIFO, a folder, ...: the engine
/// reports it as `cannot read template 'NAME': it is a named pipe (FIFO), not a regular file`.
struct NotARegularFile: Error, CustomStringConvertible {
    let kind: String
    var description: String { "it is \(kind), not a regular file" }
}
