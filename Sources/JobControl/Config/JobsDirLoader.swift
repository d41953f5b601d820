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
        guard let data = read else { return nil }
        do {
            return try decodeUTF8(data)
        } catch YAMLError.invalidText(let message, let mark) {
            throw TemplateError(
                position: SourcePosition(file: name, line: mark.line, column: mark.column),
                message: message)
        }
    }
}
