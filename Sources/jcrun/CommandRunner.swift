import Foundation
import JobControl

/// Dispatches a parsed invocation to its command.
enum CommandRunner {
    static func run(_ invocation: Invocation, context: Context) throws -> Int32 {
        switch invocation.command {
        case "completion": return try CompletionCommand.run(context)
        case "web": return try WebCommand.run(context)
        // TODO(#5): building needs the planner and scheduler; until they land it refuses.
        case "build", "build-outdated", "why", "status":
            throw CLIError.notAvailable(command: invocation.command, issue: 5)
        // TODO(#2): these need the config loader and the graph.
        case "list", "show", "graph", "render":
            throw CLIError.notAvailable(command: invocation.command, issue: 2)
        // TODO(#3): these need the SQLite store.
        case "builds", "show-build", "log", "delete", "prune", "install", "uninstall":
            throw CLIError.notAvailable(command: invocation.command, issue: 3)
        default:
            throw CLIError.internalBug("command '\(invocation.command)' is in the catalog but has no implementation")
        }
    }
}
