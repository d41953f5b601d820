/// Every command jcrun knows, with its options and help text: the one table
/// the parser, `--help`, completions and docs/COMMANDS.md agree with.
enum CommandCatalog {
    /// Options every command accepts, before or after the command name.
    static let global: [OptionSpec] = [
        OptionSpec(
            short: "C", long: "directory", valueName: "DIR",
            help: "act as if jcrun was started in DIR"),
        OptionSpec(
            long: "jobs-dir", valueName: "DIR",
            help: "read jobs from DIR (its parent is the project folder)"),
        OptionSpec(
            long: "storage", valueName: "PATH",
            help: "use the state database at PATH (default .jcrun/state.db)"),
        OptionSpec(
            long: "color", valueName: "WHEN",
            help: "colour: auto, always or never (default auto); the live view redraws either way"),
        OptionSpec(short: "q", long: "quiet", help: "print nothing unless something fails"),
        OptionSpec(
            short: "v", long: "verbose", help: "print more: each job's output, prefixed with its id"
        ),
        OptionSpec(long: "json", help: "print JSON (one object per line while building)"),
        OptionSpec(short: "h", long: "help", help: "show this help and exit"),
        OptionSpec(long: "version", help: "print jcrun's version and exit"),
    ]

    static let buildRunOptions: [OptionSpec] = [
        OptionSpec(
            short: "j", long: "jobs", valueName: "N", help: "run up to N builds at once (default: the number of CPUs)"
        ),
        OptionSpec(
            short: "k", long: "keep-going",
            help: "keep building what does not depend on a failed build"),
        OptionSpec(short: "n", long: "dry-run", help: "print the plan on stdout and build nothing"),
        OptionSpec(
            long: "allow-protected",
            help: "build protected jobs named on the command line without asking"),
        OptionSpec(long: "yes", help: "answer yes to every question (protected jobs included)"),
        OptionSpec(
            long: "no-wait", help: "fail at once (exit 75) when a job is locked by another run"),
        OptionSpec(
            long: "lock-timeout", valueName: "DURATION",
            help: "wait at most DURATION for a locked job (exit 75 after)"),
        OptionSpec(long: "junit", valueName: "FILE", help: "write a JUnit XML report to FILE"),
        OptionSpec(long: "queue", help: "queue the builds for 'jcrun worker' (PostgreSQL store) and print their ids"),
        OptionSpec(long: "wait", help: "with --queue: follow the queued builds to the end and exit as a local run would"),
        OptionSpec(
            long: "trigger", valueName: "NAME",
            help: "store NAME as what started the builds (web: the web page)", hidden: true),
    ]

    static let commands: [CommandSpec] = [
        CommandSpec(
            name: "build", arguments: "JOB...",
            summary: "Build the named jobs, after every outdated dependency they need.",
            options: buildRunOptions + [
                OptionSpec(
                    short: "B", long: "always",
                    help: "rebuild every job in the plan, outdated or not"),
                OptionSpec(
                    long: "no-deps",
                    help: "build only the named jobs, using their dependencies as they are"),
                OptionSpec(
                    long: "with-revdeps",
                    help: "also rebuild every job that depends on the named ones"),
                OptionSpec(
                    long: "pin", valueName: "DEP=BUILD", help: "use build BUILD of dependency DEP",
                    repeatable: true),
            ],
            minPositionals: 1, maxPositionals: nil,
            examples: ["jcrun report", "jcrun build -j 4 -k crawl_example_com process_example_com"]),
        CommandSpec(
            name: "build-outdated", arguments: "[JOB...]",
            summary:
                "Build every outdated job (or only the named ones and what they need), in dependency order.",
            options: buildRunOptions + [
                OptionSpec(
                    long: "check",
                    help: "build nothing; exit 1 when it would build something (protected jobs left out)")
            ],
            maxPositionals: nil,
            examples: ["jcrun build-outdated --quiet", "jcrun build-outdated --check"]),
        CommandSpec(
            name: "list", arguments: "",
            summary: "List every job: id, title, status and dependencies.",
            options: [OptionSpec(
                    long: "ids",
                    help: "print only the job ids, one per line (not with --json, whose objects carry each id)")],
            examples: ["jcrun list", "jcrun list --json"]),
        CommandSpec(
            name: "show", arguments: "JOB",
            summary:
                "Show a job's resolved definition (secrets masked), its dependencies and dependents.",
            options: [], minPositionals: 1, maxPositionals: 1,
            examples: ["jcrun show report"]),
        CommandSpec(
            name: "graph", arguments: "[JOB]",
            summary: "Draw the dependency graph, of every job or of one job's dependencies.",
            options: [
                OptionSpec(long: "revdeps", help: "draw the jobs that depend on JOB instead"),
                OptionSpec(long: "format", valueName: "FORMAT", help: "text or dot (default text)"),
            ],
            maxPositionals: 1,
            examples: ["jcrun graph report", "jcrun graph --format dot | dot -Tsvg > graph.svg"]),
        CommandSpec(
            name: "why", arguments: "JOB",
            summary: "Explain whether a job is outdated, and why.",
            options: [], minPositionals: 1, maxPositionals: 1,
            examples: ["jcrun why report"]),
        CommandSpec(
            name: "status", arguments: "[JOB...]",
            summary: "Show one line per job: status, last build, its age and duration.",
            options: [], maxPositionals: nil,
            examples: ["jcrun status", "jcrun status --json"]),
        CommandSpec(
            name: "builds", arguments: "[JOB]",
            summary: "List stored builds, newest first.",
            options: [
                OptionSpec(
                    long: "status", valueName: "STATUS",
                    help: "only builds with STATUS (created, running, successful, skipped, failed)"),
                OptionSpec(
                    long: "since", valueName: "DURATION",
                    help: "only builds created in the last DURATION (30m, 2h, 1d)"),
                OptionSpec(long: "limit", valueName: "N", help: "at most N builds (default 50)"),
            ],
            maxPositionals: 1,
            examples: ["jcrun builds report --limit 5", "jcrun builds --status failed --since 1d"]),
        CommandSpec(
            name: "show-build", arguments: "ID|JOB",
            summary:
                "Show one build: times, exit, reason, return value, lineage, progress and log tail.",
            options: [
                OptionSpec(
                    long: "retval",
                    help: "print only the return value (exit 1 when the build has none)")
            ],
            minPositionals: 1, maxPositionals: 1,
            examples: ["jcrun show-build '#42'", "jcrun show-build crawl_example_com --retval"]),
        CommandSpec(
            name: "log", arguments: "ID|JOB",
            summary: "Print a build's log (a job's latest build), one line per entry.",
            options: [
                OptionSpec(short: "f", long: "follow", help: "keep printing until the build ends; exit 1 if it failed"),
                OptionSpec(
                    long: "level", valueName: "LEVEL",
                    help: "only LEVEL and above (debug, info, warning, error, critical)"),
                OptionSpec(
                    long: "stream", valueName: "STREAM", help: "only stdout, stderr, jcrun or log"),
                OptionSpec(
                    long: "since", valueName: "DURATION", help: "only entries of the last DURATION"),
                OptionSpec(
                    long: "raw",
                    help:
                        "only the lines, byte for byte as the job wrote them on stdout and stderr (control characters and bytes that are not UTF-8 included)"
                ),
            ],
            minPositionals: 1, maxPositionals: 1,
            examples: [
                "jcrun log '#42'", "jcrun log report --follow --level warning",
                "jcrun log report --raw > report.out",
            ]),
        CommandSpec(
            name: "delete", arguments: "BUILD...",
            summary: "Delete builds, after running each job's cleanup command for them.",
            options: [
                OptionSpec(
                    long: "force",
                    help:
                        "delete even when cleanup fails, the job is no longer defined, or the job files do not load (no cleanup runs then)"
                ),
                OptionSpec(long: "yes", help: "do not ask for confirmation"),
            ],
            minPositionals: 1, maxPositionals: nil,
            examples: ["jcrun delete 41 42 --yes"]),
        CommandSpec(
            name: "cancel", arguments: "BUILD...",
            summary: "Cancel queued builds no worker has claimed yet (and the queued builds that need them).",
            options: [],
            minPositionals: 1, maxPositionals: nil,
            examples: ["jcrun cancel 41 42"]),
        CommandSpec(
            name: "prune", arguments: "",
            summary:
                "Delete old builds (after each job's cleanup) or log lines, keeping every build still in use.",
            options: [
                OptionSpec(
                    long: "older-than", valueName: "DURATION",
                    help: "only builds (or lines) older than DURATION (default 30d)"),
                OptionSpec(long: "job", valueName: "JOB", help: "only builds of JOB"),
                OptionSpec(
                    long: "keep", valueName: "N",
                    help: "keep at least the N newest builds of each job"),
                OptionSpec(long: "logs-only", help: "delete log lines only, keep the builds"),
                OptionSpec(
                    long: "level", valueName: "LEVEL",
                    help: "with --logs-only: delete lines at LEVEL and below"),
                OptionSpec(long: "vacuum", help: "give the freed space back to the file system"),
                OptionSpec(
                    long: "force",
                    help:
                        "delete a build even when its job's cleanup fails or the job files do not load (no cleanup runs then)"
                ),
                OptionSpec(long: "yes", help: "do not ask for confirmation"),
            ],
            examples: [
                "jcrun prune --older-than 90d --keep 10 --yes",
                "jcrun prune --logs-only --level debug --older-than 7d",
            ]),
        CommandSpec(
            name: "worker", arguments: "",
            summary: "Run builds queued with --queue, from a PostgreSQL store, until SIGTERM (docs/WORKERS.md).",
            options: [
                OptionSpec(short: "j", long: "jobs", valueName: "N", help: "run up to N builds at once (default 1)"),
                OptionSpec(long: "tags", valueName: "T1,T2", help: "claim only jobs whose tags are all among these"),
                OptionSpec(long: "grace", valueName: "DURATION", help: "after SIGTERM, let running builds finish for DURATION, then interrupt them (default 60s)"),
                OptionSpec(long: "lease", valueName: "DURATION", help: "a claimed build is failed and retried elsewhere when this worker is silent for DURATION (default 15s)"),
            ],
            examples: ["jcrun worker -j 4", "jcrun worker --tags big-disk --grace 10m"]),
        CommandSpec(
            name: "install", arguments: "",
            summary: "Create the state database (or migrate an older one).",
            options: [],
            examples: ["jcrun install", "jcrun --storage /var/lib/jcrun/state.db install"]),
        CommandSpec(
            name: "uninstall", arguments: "",
            summary: "Drop jcrun's tables, with every build and log; the database file stays.",
            options: [OptionSpec(long: "yes", help: "do not ask to type the database path")],
            examples: ["jcrun uninstall", "jcrun uninstall --yes"]),
        CommandSpec(
            name: "render", arguments: "FILE",
            summary: "Print a job file after its template step, as the YAML reader sees it.",
            options: [], minPositionals: 1, maxPositionals: 1,
            examples: ["jcrun render jobs.d/sites.yaml"]),
        CommandSpec(
            name: "web", arguments: "",
            summary: "Serve a web page with every job, its builds, live progress and logs, and build buttons.",
            options: [
                OptionSpec(long: "bind", valueName: "ADDRESS", help: "listen on ADDRESS (default 127.0.0.1; others need a token)"),
                OptionSpec(long: "port", valueName: "PORT", help: "listen on PORT (default 5050; 0 picks a free one)"),
                OptionSpec(long: "read-only", help: "show everything, start nothing"),
                OptionSpec(long: "token-file", valueName: "FILE", help: "require the access token in FILE (or JCRUN_WEB_TOKEN)"),
            ],
            examples: ["jcrun web", "jcrun web --port 0 --read-only"]),
        CommandSpec(
            name: "completion", arguments: "bash|zsh|fish",
            summary: "Print a shell completion script.",
            options: [], minPositionals: 1, maxPositionals: 1,
            examples: [
                "source <(jcrun completion bash)",
                "jcrun completion fish > ~/.config/fish/completions/jcrun.fish",
            ]),
        CommandSpec(
            name: "help", arguments: "[COMMAND]",
            summary: "Show help for jcrun or one command.",
            options: [], maxPositionals: 1,
            examples: ["jcrun help build"]),
    ]

    static func command(named name: String) -> CommandSpec? {
        commands.first { $0.name == name }
    }
}
