import Foundation
import JobControl

/// What every command needs: the options common to all, the directories
/// they name, the environment and the output streams.
final class Context {
    let invocation: Invocation
    let console: Console
    let environment: [String: String]
    /// The directory jcrun acts in (`-C DIR`, else the current one).
    let workingDirectory: URL
    let colorChoice: ColorChoice
    let verbosity: RenderVerbosity
    let json: Bool
    /// Set by `loadJobsOrStoreOnly` when the job files did not load.
    var definitionsBroken = false
    /// Every store a command opened, closed by `closeStores` when it ends.
    private(set) var openedStores: [BuildStore] = []

    init(
        invocation: Invocation, console: Console,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.invocation = invocation
        self.console = console
        self.environment = environment
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        if let dir = invocation.value("directory") {
            let url = URL(fileURLWithPath: dir, relativeTo: cwd).standardizedFileURL
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
                isDirectory.boolValue
            else {
                throw CLIError.usage("-C: '\(dir)' is not a directory")
            }
            workingDirectory = url
        } else {
            workingDirectory = cwd
        }
        colorChoice = try Self.colorChoice(invocation.value("color"))
        if invocation.has("quiet") && invocation.has("verbose") {
            throw CLIError.usage("options '--quiet' and '--verbose' cannot be used together")
        }
        verbosity =
            invocation.has("quiet") ? .quiet : invocation.has("verbose") ? .verbose : .normal
        json = invocation.has("json")
    }

    /// `--color`'s value (`auto` when not given).
    ///
    /// - Throws: `CLIError.usage` for another word, with a near one.
    static func colorChoice(_ value: String?) throws -> ColorChoice {
        let color = value ?? "auto"
        guard let choice = ColorChoice(rawValue: color) else {
            let names = ColorChoice.allCases.map(\.rawValue)
            throw CLIError.usage(
                "option '--color' expects auto, always or never, got '\(color)'"
                    + Suggestion.clause(for: color, in: names))
        }
        return choice
    }

    /// Colour for what goes to stderr (the build view, messages).
    var stderrPalette: Palette {
        Palette(
            enabled: ColorPolicy.useColor(
                colorChoice, isTerminal: console.stderr.isTerminal, environment: environment))
    }

    /// Colour for query results on stdout.
    var stdoutPalette: Palette {
        Palette(
            enabled: !json
                && ColorPolicy.useColor(
                    colorChoice, isTerminal: console.stdout.isTerminal, environment: environment)
        )
    }

    /// Remembers `store` so that `closeStores` closes it; returns it.
    func keep(_ store: any BuildStore) -> any BuildStore {
        openedStores.append(store)
        return store
    }

    /// Closes every store the command opened, whatever way it ended (a
    /// failed build, an interrupt, an error): closing SQLite's last
    /// connection checkpoints the WAL into the database file and removes
    /// it, so that `.jcrun/state.db` alone holds every build.
    ///
    /// Returns one line for each SQLite file the command wrote that was
    /// deleted or replaced while it had it open (`SQLiteStore.checkFileStillThere`):
    /// what the command stored there is lost.
    @discardableResult
    func closeStores() -> [String] {
        var readOnly: Set<String> = []
        var lost: [String] = []
        for store in openedStores {
            if let store = store as? SQLiteStore {
                if store.mode == .write, let change = store.checkFileStillThere() {
                    lost.append(
                        "\(store.path): the state database \(change) while jcrun had it open;"
                            + " what this command stored in it is lost")
                }
                store.close()
                if store.mode == .readOnly { readOnly.insert(store.path) }
            } else if let store = store as? PostgresStore {
                store.close()
            }
        }
        openedStores.removeAll()
        // A read-only connection cannot checkpoint: a WAL it read past stays.
        for path in readOnly { SQLiteStore.foldLeftoverJournal(path: path) }
        return lost
    }

    /// A path given on the command line, resolved against the working directory.
    func resolve(_ path: String) -> URL {
        URL(fileURLWithPath: path, relativeTo: workingDirectory).standardizedFileURL
    }
}
