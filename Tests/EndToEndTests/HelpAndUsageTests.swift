import Foundation
import Testing

@testable import jcrun

/// `--help`, usage and argument mistakes, through the built binary.
struct HelpAndUsageTests {
    @Test(arguments: CommandCatalog.commands.map(\.name))
    func everyCommandsHelpExitsZero(_ command: String) throws {
        let result = try Jcrun.run([command, "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("usage: jcrun \(command)"))
        #expect(result.stdout.contains("Examples:"))
        #expect(result.stderr == "")
    }

    @Test func jcrunHelpListsEveryCommand() throws {
        let result = try Jcrun.run(["--help"])
        #expect(result.status == 0)
        for command in CommandCatalog.commands {
            #expect(result.stdout.contains("\n  \(command.name) "))
        }
    }

    @Test func bareJcrunPrintsUsageOnStderrAndExits2() throws {
        let result = try Jcrun.run([])
        #expect(result.status == 2)
        #expect(result.stdout == "")
        #expect(result.stderr == HelpText.usage)
    }

    @Test func anUnknownOptionIsOneLineWithASuggestion() throws {
        let result = try Jcrun.run(["report", "--nodeps"])
        #expect(result.status == 2)
        #expect(
            result.stderr == "jcrun: error: unknown option '--nodeps'; did you mean '--no-deps'?\n")
    }

    @Test func versionPrintsOneLine() throws {
        let result = try Jcrun.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == "jcrun 0.1.0\n")
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScriptsNameTheCommandsAndAskForJobIds(_ shell: String) throws {
        let result = try Jcrun.run(["completion", shell])
        #expect(result.status == 0)
        #expect(result.stdout.contains("build-outdated"))
        #expect(result.stdout.contains("list --ids"))
    }

    @Test func theBashCompletionIsValidBash() throws {
        let script = try Jcrun.run(["completion", "bash"]).stdout
        let path = NSTemporaryDirectory() + "jcrun-completion-\(UUID()).bash"
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        bash.arguments = ["-n", path]
        try bash.run()
        bash.waitUntilExit()
        #expect(bash.terminationStatus == 0)
    }

    /// Completing in a cloned project must not run code written into a job
    /// id: bash's `compgen -W` expands `$(...)` in its word list, and an id
    /// inserted unquoted runs when Enter is pressed (testers' findings).
    @Test func bashCompletionNeverExpandsAJobId() throws {
        let project = try TestProject([
            "c.yaml": """
            jobs:
              - {id: "$(touch${IFS}PWNED)", command: "true"}
              - {id: plain, command: "true"}
              - {id: "semi;touch_X", command: "true"}
              - {id: "col:on", command: "true"}

            """
        ])
        defer { project.remove() }
        let script = try Jcrun.run(["completion", "bash"]).stdout
        let scriptPath = project.dir.appendingPathComponent("completion.bash").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let (status, output) = try Self.shell(
            "/bin/bash",
            "source completion.bash; for cur in '' p '$' 'semi' 'col:'; do COMP_WORDS=(jcrun \"$cur\"); COMP_CWORD=1; COMP_LINE=\"jcrun $cur\"; COMP_POINT=${#COMP_LINE}; _jcrun; printf '%s\\n' \"${COMPREPLY[@]}\"; done",
            in: project.dir.path, home: project.dir.path)
        #expect(status == 0)
        #expect(!project.exists("PWNED"))
        let words = output.split(separator: "\n").map(String.init)
        #expect(words.contains("plain"))
        #expect(words.contains("build-outdated"))
        // Inserted quoted, so that Enter runs jcrun with that id and nothing else;
        // after a ':' (a word break in bash) only the rest is inserted.
        #expect(words.filter { $0 == "\\$\\(touch\\$\\{IFS\\}PWNED\\)" }.count == 2)
        #expect(words.contains("semi\\;touch_X"))
        #expect(words.contains("on"))
    }

    /// Job ids come from the folder named by `-C DIR`, `--directory DIR`,
    /// `--directory=DIR` (bash splits it at '='), and `~/DIR` as typed
    /// (only `-C` with an expanded path worked).
    @Test func bashCompletionFindsTheProjectOfEverySpellingOfDirectory() throws {
        let project = try TestProject(["c.yaml": "jobs:\n  - {id: far_away, command: \"true\"}\n"])
        defer { project.remove() }
        let home = project.dir.deletingLastPathComponent().path
        let name = project.dir.lastPathComponent
        let script = try Jcrun.run(["completion", "bash"]).stdout
        let scriptPath = NSTemporaryDirectory() + "jcrun-completion-\(UUID()).bash"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        for words in [
            ["-C", "~/\(name)"], ["--directory", project.dir.path], ["--directory", "=", project.dir.path],
            ["--directory=\(project.dir.path)"],
        ] {
            let line = (["jcrun"] + words + ["far"]).map { "'\($0)'" }.joined(separator: " ")
            let (_, output) = try Self.shell(
                "/bin/bash",
                "source '\(scriptPath)'; COMP_WORDS=(\(line)); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE=\"${COMP_WORDS[*]}\"; COMP_POINT=${#COMP_LINE}; _jcrun; printf '%s\\n' \"${COMPREPLY[@]}\"",
                in: "/", home: home)
            #expect(output.split(separator: "\n").contains("far_away"), "\(words)")
        }
    }

    /// The same for zsh and fish, their completion functions run with the
    /// completion system's builtins stubbed (zsh) or through `complete -C`
    /// (fish); skipped where the shell is not installed (scripts/setup
    /// installs both).
    @Test(arguments: ["zsh", "fish"])
    func zshAndFishCompletionFindTheProjectOfEverySpellingOfDirectory(_ shell: String) throws {
        let path = "/usr/bin/\(shell)"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            print("skipped: \(path) is not installed; run scripts/setup")
            return
        }
        let project = try TestProject(["c.yaml": "jobs:\n  - {id: far_away, command: \"true\"}\n"])
        defer { project.remove() }
        let home = project.dir.deletingLastPathComponent().path
        let dir = project.dir.path
        let script = try Jcrun.run(["completion", shell]).stdout
        let scriptPath = NSTemporaryDirectory() + "jcrun-completion-\(UUID()).\(shell)"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: scriptPath) }
        let spellings = [
            ["-C", "~/\(project.dir.lastPathComponent)"], ["--directory", dir], ["--directory=\(dir)"],
        ]
        let body: String
        if shell == "zsh" {
            body = spellings.map { words in
                let quoted = words.map { "'\($0)'" }.joined(separator: " ")
                return "words=(jcrun \(quoted) far); CURRENT=${#words}; PREFIX=far; _jcrun"
            }.joined(separator: "; ")
        } else {
            body = spellings.map { "complete -C 'jcrun \($0.joined(separator: " ")) far'" }
                .joined(separator: "; ")
        }
        let stubs = shell == "zsh"
            ? "compadd() { [[ $1 == -a ]] && print -l -- ${(P)2} }; _describe() {}; compdef() {}; " : ""
        let (_, output) = try Self.shell(
            path, stubs + "source '\(scriptPath)'; " + body, in: "/", home: home)
        let found = output.split(separator: "\n").filter { $0.hasPrefix("far_away") }
        #expect(found.count == 3, "\(output)")
    }

    /// Runs `script` with `shell -c` in `dir`, jcrun's folder first on `PATH`
    /// and `HOME` set: its status and standard output.
    static func shell(_ shell: String, _ script: String, in dir: String, home: String) throws
        -> (status: Int32, stdout: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: shell)
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.environment = [
            "PATH": Jcrun.binary.deletingLastPathComponent().path + ":/usr/bin:/bin", "HOME": home,
        ]
        process.arguments = ["-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func anUnknownShellIsAUsageError() throws {
        let result = try Jcrun.run(["completion", "bsh"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "jcrun: error: unknown shell 'bsh' (expected bash, zsh or fish); did you mean 'bash'?\n"
        )
    }
}
