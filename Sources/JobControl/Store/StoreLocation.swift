import Foundation

/// Where a project's state lives: an SQLite file or (issue #10) a PostgreSQL
/// database. Printing one never shows a password.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    /// An absolute path.
    case sqlite(path: String)
    /// The URL as given (with its password; use `description` to show it).
    case postgresql(url: String)

    /// Resolves the storage setting by precedence: `--storage`, then
    /// `JCRUN_STORAGE`, then `jcrun.yaml`'s `storage`, then `.jcrun/state.db`
    /// in the project folder. A relative path is relative to `currentDirectory`
    /// for the option and the variable, and to `projectDir` for `jcrun.yaml`
    /// and the default. Values are a path, `sqlite:PATH` or `postgresql://...`.
    /// (`checkFolderExists` then refuses a path whose folder is missing.)
    ///
    /// - Throws: `StoreError.unreachable` for an empty value or one that is
    ///   a PostgreSQL connection written wrong (`StorageValueCheck`).
    public static func resolve(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        settings: String?, projectDir: String,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> StoreLocation {
        if let option {
            return try parse(option, relativeTo: currentDirectory, from: "--storage")
        }
        if let variable = environment["JCRUN_STORAGE"], !variable.isEmpty {
            return try parse(variable, relativeTo: currentDirectory, from: "JCRUN_STORAGE")
        }
        if let settings { return try parse(settings, relativeTo: projectDir) }
        return try parse(".jcrun/state.db", relativeTo: projectDir)
    }

    /// One storage value: `postgresql://...` or `postgres://...`, `sqlite:PATH`
    /// (`sqlite:` in any case; `sqlite:///abs/x.db` is `/abs/x.db`), or a path.
    ///
    /// - Throws: `StoreError.unreachable` for an empty value, another
    ///   `scheme://` (`mysql://...` is not taken for a folder named `mysql:`),
    ///   and what `StorageValueCheck` refuses: `postgresql:` without `//`,
    ///   another `scheme:`, `sqlite://HOST/...`, a libpq `key=value` string.
    /// `from` names where the value was given (`--storage`); the message then
    /// starts with it and the value quoted (`--storage '': ...`), as an empty
    /// value shows nothing by itself.
    public static func parse(
        _ value: String, relativeTo base: String, from source: String? = nil
    ) throws -> StoreLocation {
        if let problem = problem(with: value) {
            let shown = redacted(value)
            throw StoreError.unreachable(
                path: source.map { "\($0) '\(shown)'" } ?? shown, reason: problem)
        }
        let lowered = value.lowercased()
        for scheme in ["postgresql://", "postgres://"] where lowered.hasPrefix(scheme) {
            // libpq knows the schemes in lower case only.
            return .postgresql(url: scheme + value.dropFirst(scheme.count))
        }
        let path = sqlitePath(value)
        let absolute = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        return .sqlite(path: (absolute as NSString).standardizingPath)
    }

    /// What is wrong with a storage value, in the words `--storage`,
    /// `JCRUN_STORAGE` and `jcrun.yaml` share; nil when it is usable.
    public static func problem(with value: String) -> String? {
        if let problem = StorageValueCheck.textProblem(value) { return problem }
        let lowered = value.lowercased()
        if lowered.hasPrefix("postgresql://") || lowered.hasPrefix("postgres://") {
            return StorageValueCheck.urlProblem(value)
        }
        let expected = "use a path, sqlite:PATH or postgresql://..."
        if let scheme = lowered.range(of: "://"), !lowered.hasPrefix("sqlite:"),
            lowered[..<scheme.lowerBound].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) })
        {
            let name = String(value[..<(value.range(of: "://")?.lowerBound ?? value.endIndex)])
            let suggestion = closestMatch(to: name.lowercased(), among: ["postgresql", "postgres", "sqlite"])
                .map { "; did you mean '\($0 == "sqlite" ? "sqlite:" : $0 + "://")'?" } ?? ""
            return "unknown storage scheme '\(name)://'; \(expected)\(suggestion)"
        }
        if let problem = StorageValueCheck.problem(with: value) { return problem }
        let path = sqlitePath(value)
        if path.isEmpty { return "the storage setting names no file; \(expected)" }
        if path.utf8.contains(0) { return "the storage setting holds a NUL byte (\\0)" }
        return StorageValueCheck.userInfoProblem(path)
    }

    /// The path of a value that is no URL: `sqlite:PATH` without `sqlite:`,
    /// and `sqlite://localhost/PATH` as `/PATH` (`localhost` is this machine
    /// in a file URL).
    static func sqlitePath(_ value: String) -> String {
        let lowered = value.lowercased()
        if lowered.hasPrefix("sqlite://localhost/") {
            return String(value.dropFirst("sqlite://localhost".count))
        }
        return lowered.hasPrefix("sqlite:") ? String(value.dropFirst("sqlite:".count)) : value
    }

    /// Refuses an SQLite file whose folder does not exist, before anything
    /// runs: jcrun creates no folder for a path it was given (`--storage`,
    /// `JCRUN_STORAGE`, `jcrun.yaml`), so that a typo (`/nonexistent/x.db`)
    /// is an error, not a new store far away. Only `ownFolder` (`.jcrun/`
    /// in the project, where the default store and the job cache live) is
    /// made when missing. A folder that is a file is left to the store's check.
    ///
    /// - Throws: `StoreError.unreachable` naming the missing folder.
    /// A symbolic link is followed: the folder of its target must exist
    /// (SQLite said only `unable to open database file`).
    public func checkFolderExists(except ownFolder: String) throws {
        guard case .sqlite(let path) = self else { return }
        let own = (ownFolder as NSString).standardizingPath
        let target = SQLiteStore.linkTarget(of: path)
        for file in target == path ? [path] : [path, target] {
            let folder = (file as NSString).deletingLastPathComponent
            var info = stat()
            guard stat(folder, &info) != 0, errno == ENOENT, folder != own else { continue }
            let link = file == path ? "" : " (the folder of the file its symbolic link names)"
            throw StoreError.unreachable(
                path: path,
                reason: "folder '\(folder)'\(link) does not exist; create it first (jcrun"
                    + " creates no folder for a storage path it is given)")
        }
    }

    /// For messages: the path, or the URL with its password replaced by `***`.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgresql(let url): return StoreLocation.redacted(url)
        }
    }

    /// Opens the store here.
    ///
    /// - Throws: what `SQLiteStore.open` or `PostgresStore.open` throws.
    public func open(mode: StoreMode) throws -> any BuildStore {
        switch self {
        case .sqlite(let path): return try SQLiteStore.open(path: path, mode: mode)
        case .postgresql(let url): return try PostgresStore.open(url: url, mode: mode)
        }
    }

    /// Reaps builds left running by dead runners in an existing store, for a
    /// command that opened it read-only (see `SQLiteStore.reapDeadRunners(path:)`).
    public func reapDeadRunners() throws -> [BuildID] {
        switch self {
        case .sqlite(let path): return try SQLiteStore.reapDeadRunners(path: path)
        case .postgresql(let url): return try PostgresStore.reapDeadRunners(url: url)
        }
    }

    /// `jcrun install`: creates or migrates the store; idempotent.
    public func install() throws -> InstallOutcome {
        switch self {
        case .sqlite(let path): return try SQLiteStore.install(path: path)
        case .postgresql(let url): return try PostgresStore.install(url: url)
        }
    }

    /// `jcrun uninstall`: drops everything jcrun stored here.
    public func uninstall() throws {
        switch self {
        case .sqlite(let path): try SQLiteStore.uninstall(path: path)
        case .postgresql(let url): try PostgresStore.uninstall(url: url)
        }
    }

    /// `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`
    /// (and `?password=...` masked too).
    /// A libpq `key=value` string, or a URL missing a slash, is masked the same way.
    /// Control characters are shown escaped (`a.db\n`), so a message stays one line.
    static func redacted(_ url: String) -> String {
        StorageValueCheck.escaped(StorageValueCheck.redacted(url))
    }
}

/// Whether a command may write (and so create or migrate) the store.
public enum StoreMode: Sendable, Hashable {
    case write
    case readOnly
}

/// What opening a store for writing did to its schema.
public enum InstallOutcome: Sendable, Hashable {
    case created
    case migrated(from: Int, to: Int)
    case upToDate
}
