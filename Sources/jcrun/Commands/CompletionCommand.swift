import Foundation

/// `jcrun completion bash|zsh|fish`: scripts that complete commands,
/// options and job ids (read at completion time from `jcrun list --ids`).
enum CompletionCommand {
    enum Shell: String, CaseIterable { case bash, zsh, fish }

    static func run(_ context: Context) throws -> Int32 {
        let name = context.invocation.positionals[0]
        guard let shell = Shell(rawValue: name) else {
            let names = Shell.allCases.map(\.rawValue)
            throw CLIError.usage(
                "unknown shell '\(name)' (expected bash, zsh or fish)"
                    + Suggestion.clause(for: name, in: names))
        }
        context.console.out(script(for: shell))
        return 0
    }

    static func script(for shell: Shell) -> String {
        switch shell {
        case .bash: return bash()
        case .zsh: return zsh()
        case .fish: return fish()
        }
    }

    /// Values an option's argument can take, for the shells to offer.
    private static let valueWords: [String: String] = [
        "color": "auto always never", "format": "text dot",
        "level": "debug info warning error critical", "stream": "stdout stderr jcrun log",
        "status": "created running successful skipped failed",
    ]
    /// Commands that take a build (or a job's latest build): build ids are offered too.
    private static let buildCommands = ["show-build", "log", "delete"]
    /// Commands whose arguments are neither jobs nor builds.
    private static let noJobCommands = [
        "list", "install", "uninstall", "prune", "web", "worker",
    ]
    private static let pathOptions: Set<String> = ["directory", "jobs-dir", "storage", "junit"]

    private static func spellings(_ options: [OptionSpec]) -> String {
        options.filter { !$0.hidden }.flatMap { option in (option.short.map { ["-\($0)"] } ?? []) + ["--\(option.long)"] }
            .joined(separator: " ")
    }

    private static func bash() -> String {
        let commands = CommandCatalog.commands.map(\.name).joined(separator: " ")
        let all = CommandCatalog.global + CommandCatalog.commands.flatMap(\.options)
        var optionCases = ""
        for command in CommandCatalog.commands {
            optionCases += "        \(command.name)) opts=\"\(spellings(command.options))\" ;;\n"
        }
        var valueCases = ""
        for (option, words) in valueWords.sorted(by: { $0.key < $1.key }) {
            valueCases +=
                "        --\(option)) COMPREPLY=($(compgen -W \"\(words)\" -- \"$cur\")); return ;;\n"
        }
        let paths = pathOptions.sorted().map { "--\($0)" }.joined(separator: "|")
        let takingValue = Set(
            all.filter { !$0.isFlag }.flatMap { o in
                (o.short.map { ["-\($0)"] } ?? []) + ["--\(o.long)"]
            })
        return """
            # bash completion for jcrun: source <(jcrun completion bash)
            _jcrun() {
                local cur prev cmd i opts dir=. first=1
                cur="${COMP_WORDS[COMP_CWORD]}"
                prev="${COMP_WORDS[COMP_CWORD-1]}"
                cmd=build
                for ((i = 1; i < COMP_CWORD; i++)); do
                    # -C DIR, --directory DIR, --directory=DIR (bash splits at '=').
                    case "${COMP_WORDS[i]}" in
                        -C|--directory)
                            if [[ "${COMP_WORDS[i+1]}" == "=" ]]; then dir="${COMP_WORDS[i+2]}"; else dir="${COMP_WORDS[i+1]}"; fi ;;
                        --directory=*) dir="${COMP_WORDS[i]#--directory=}" ;;
                    esac
                    case "${COMP_WORDS[i]}" in
                        \(takingValue.sorted().joined(separator: "|"))) ((i++)); [[ "${COMP_WORDS[i]}" == "=" ]] && ((i++)) ;;
                        -*) ;;
                        *) first=0; case " \(commands) " in *" ${COMP_WORDS[i]} "*) cmd="${COMP_WORDS[i]}" ;; esac; break ;;
                    esac
                done
                [[ "$dir" == "~" || "$dir" == "~/"* ]] && dir="$HOME${dir#"~"}"  # typed, not expanded
                case "$prev" in
            \(valueCases)        -C|\(paths)) COMPREPLY=($(compgen -f -- "$cur")); return ;;
                esac
                if [[ "$cur" == -* ]]; then
                    case "$cmd" in
            \(optionCases)    esac
                    COMPREPLY=($(compgen -W "$opts \(spellings(CommandCatalog.global))" -- "$cur"))
                    return
                fi
                case "$cmd" in
                    render) COMPREPLY=($(compgen -f -- "$cur")) ;;
                    completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
                    help) COMPREPLY=($(compgen -W "\(commands)" -- "$cur")) ;;
                    \(noJobCommands.joined(separator: "|"))) ;;
                    *)
                        # Job ids come from a project that may be someone else's:
                        # matched here (compgen -W would expand a '$(...)' in one)
                        # and inserted quoted (';' or '$(' must stay part of the id).
                        # A ':' splits words in bash, so the current word is read
                        # from the line and only the part after its last ':' replaced.
                        # Command names only where one may stand: the first word.
                        COMPREPLY=()
                        [[ $first == 1 ]] && COMPREPLY=($(compgen -W "\(commands)" -- "$cur"))
                        local id quoted word="${COMP_LINE:0:COMP_POINT}" colon=""
                        word="${word##*[[:space:]]}"
                        [[ "$word" == *:* && "$COMP_WORDBREAKS" == *:* ]] && colon="${word%"${word##*:}"}"
                        [[ $cmd == delete ]] || while IFS= read -r id; do
                            [[ "$id" == "$word"* ]] || continue
                            printf -v quoted '%q' "$id"
                            COMPREPLY+=("${quoted#"$colon"}")
                        done < <(jcrun -C "$dir" list --ids 2>/dev/null)
                        # Build ids (the latest 50) where a build fits.
                        case "$cmd" in
                            \(buildCommands.joined(separator: "|")))
                                local n
                                while read -r n _; do
                                    n="${n#\\#}"
                                    [[ "$n" == [0-9]* && "$n" == "${cur#\\#}"* ]] && COMPREPLY+=("$n")
                                done < <(jcrun -C "$dir" builds --limit 50 2>/dev/null) ;;
                        esac ;;
                esac
            }
            complete -F _jcrun jcrun

            """
    }

    private static func zsh() -> String {
        let all = CommandCatalog.global + CommandCatalog.commands.flatMap(\.options)
        let takingValue = Set(
            all.filter { !$0.isFlag }.flatMap { o in
                (o.short.map { ["-\($0)"] } ?? []) + ["--\(o.long)"]
            }
        ).sorted().joined(separator: "|")
        var commandLines = ""
        for command in CommandCatalog.commands {
            commandLines +=
                "        '\(command.name):\(command.summary.replacingOccurrences(of: "'", with: "'\\''"))'\n"
        }
        return """
            #compdef jcrun
            # zsh completion for jcrun: jcrun completion zsh > "${fpath[1]}/_jcrun"
            _jcrun() {
                local -a commands jobs
                local i first=1 dir=.
                commands=(
            \(commandLines)    )
                if [[ "$PREFIX" == -* ]]; then
                    compadd -- \(spellings(CommandCatalog.global + CommandCatalog.commands.flatMap(\.options)).split(separator: " ").uniqued().joined(separator: " "))
                    return
                fi
                # Command names only where one may stand: the first word; job
                # ids from the folder of -C DIR, --directory DIR or --directory=DIR.
                for (( i = 2; i < CURRENT; i++ )); do
                    case "${words[i]}" in
                        -C|--directory) dir="${words[i+1]}" ;;
                        --directory=*) dir="${words[i]#--directory=}" ;;
                    esac
                    case "${words[i]}" in
                        \(takingValue)) (( i++ )) ;;
                        -*) ;;
                        *) first=0; break ;;
                    esac
                done
                [[ "$dir" == "~" || "$dir" == "~/"* ]] && dir="$HOME${dir#\\~}"  # typed, not expanded
                jobs=(${(f)"$(jcrun -C "$dir" list --ids 2>/dev/null)"})
                (( first )) && _describe 'command' commands
                compadd -a jobs
            }
            compdef _jcrun jcrun

            """
    }

    private static func fish() -> String {
        var lines =
            "# fish completion for jcrun: jcrun completion fish > ~/.config/fish/completions/jcrun.fish\n"
        lines += "complete -c jcrun -f\n"
        let names = CommandCatalog.commands.map(\.name).joined(separator: " ")
        for command in CommandCatalog.commands {
            lines +=
                "complete -c jcrun -n \"not __fish_seen_subcommand_from \(names)\" -a \(command.name) -d '\(command.summary.replacingOccurrences(of: "'", with: "\\'"))'\n"
        }
        // Job ids from the folder of -C DIR, --directory DIR or --directory=DIR.
        lines += """
            function __jcrun_dir
                set -l words (commandline -opc)
                set -l dir .
                for i in (seq (count $words))
                    switch $words[$i]
                        case -C --directory
                            if test $i -lt (count $words)
                                set dir $words[(math $i + 1)]
                            end
                        case '--directory=*'
                            set dir (string replace -- --directory= '' $words[$i])
                    end
                end
                string replace -r -- '^~(?=/|$)' $HOME $dir
            end

            """
        lines += "complete -c jcrun -a '(jcrun -C (__jcrun_dir) list --ids 2>/dev/null)' -d job\n"
        for option in CommandCatalog.global {
            lines += fishOption(option, condition: nil)
        }
        for command in CommandCatalog.commands {
            for option in command.options {
                lines += fishOption(
                    option, condition: "__fish_seen_subcommand_from \(command.name)")
            }
        }
        return lines
    }

    private static func fishOption(_ option: OptionSpec, condition: String?) -> String {
        var line = "complete -c jcrun"
        if let condition { line += " -n '\(condition)'" }
        if let short = option.short { line += " -s \(short)" }
        line += " -l \(option.long)"
        if let words = valueWords[option.long] {
            line += " -x -a '\(words)'"
        } else if !option.isFlag {
            line += " -r"
        }
        return line + " -d '\(option.help.replacingOccurrences(of: "'", with: "\\'"))'\n"
    }
}

extension Sequence where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
