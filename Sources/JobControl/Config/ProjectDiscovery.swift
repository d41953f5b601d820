import Foundation

/// Finds the project: the nearest folder, from `directory` up, that holds
/// `jobs.d/`, as git finds `.git`.
///
/// An explicit `jobsDir` (`--jobs-dir`) wins; its parent is then the project
/// folder. Both URLs come back absolute and standardized.
/// - Throws: `ConfigError.noProject` when no folder up to `/` has `jobs.d/`.
public func findProject(from directory: URL, jobsDir: URL?) throws -> (
    projectDir: URL, jobsDir: URL
) {
    if let jobsDir {
        let jobs = jobsDir.absoluteURL.standardizedFileURL
        return (jobs.deletingLastPathComponent().standardizedFileURL, jobs)
    }
    let start = directory.absoluteURL.standardizedFileURL
    var candidate = start
    while true {
        let jobs = candidate.appendingPathComponent("jobs.d", isDirectory: true)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: jobs.path, isDirectory: &isDirectory),
            isDirectory.boolValue
        {
            return (candidate, jobs)
        }
        let parent = candidate.deletingLastPathComponent().standardizedFileURL
        if parent.path == candidate.path { break }
        candidate = parent
    }
    throw ConfigError.noProject(searchedFrom: start.path)
}

/// `path` as shown to the user: relative to `base` (the current folder)
/// when it lies inside it or near it, else absolute.
public func displayPath(_ path: String, relativeTo base: String) -> String {
    let parts = path.split(separator: "/", omittingEmptySubsequences: true)
    let baseParts = base.split(separator: "/", omittingEmptySubsequences: true)
    var common = 0
    while common < parts.count, common < baseParts.count, parts[common] == baseParts[common] {
        common += 1
    }
    let ups = baseParts.count - common
    if common == 0 && !baseParts.isEmpty || ups > 3 { return path }
    let rest = parts[common...].joined(separator: "/")
    let prefix = String(repeating: "../", count: ups)
    let joined = prefix + rest
    if joined.isEmpty { return "." }
    return joined.hasSuffix("/") ? String(joined.dropLast()) : joined
}
