import Foundation
import JobControl

/// Dispatches a parsed invocation to its command.
enum CommandRunner {
    /// The commands with a JSON output; `--json` elsewhere is refused
    /// rather than silently printing text a script would then misread.
    static let jsonCommands: Set<String> = [
        "build", "build-outdated", "list", "status", "show", "builds", "show-build", "log", "worker",
    ]

    static func run(_ invocation: Invocation, context: Context) throws -> Int32 {
        if invocation.has("json") && !jsonCommands.contains(invocation.command) {
            throw CLIError.usage("'\(invocation.command)' has no JSON output; leave out '--json'")
        }
        switch invocation.command {
        case "build": return try BuildCommand.run(context, outdatedOnly: false)
        case "build-outdated": return try BuildCommand.run(context, outdatedOnly: true)
        case "list": return try JobCommands.list(context)
        case "status": return try JobCommands.status(context)
        case "show": return try JobCommands.show(context)
        case "graph": return try JobCommands.graph(context)
        case "why": return try JobCommands.why(context)
        case "builds": return try BuildHistoryCommands.builds(context)
        case "show-build": return try BuildHistoryCommands.showBuild(context)
        case "log": return try BuildHistoryCommands.log(context)
        case "delete": return try MaintenanceCommands.delete(context)
        case "cancel": return try MaintenanceCommands.cancel(context)
        case "prune": return try MaintenanceCommands.prune(context)
        case "install": return try MaintenanceCommands.install(context)
        case "uninstall": return try MaintenanceCommands.uninstall(context)
        case "completion": return try CompletionCommand.run(context)
        case "web": return try WebCommand.run(context)
        case "worker": return try WorkerCommand.run(context)
        case "render": return try RenderCommand.run(context)
        default:
            throw CLIError.internalBug(
                "command '\(invocation.command)' is in the catalog but has no implementation")
        }
    }
}
