import Foundation
import JobControl

/// `render FILE`: a job file after its template step, on stdout.
enum RenderCommand {
    static func run(_ context: Context) throws -> Int32 {
        let (projectDir, jobsDir) = try findProject(
            from: context.workingDirectory,
            jobsDir: context.invocation.value("jobs-dir").map(context.resolve))
        let file = context.invocation.positionals[0]
        let name = try templateName(of: file, jobsDir: jobsDir, context: context)
        let text = try ProjectLoader.render(
            file: name, projectDir: projectDir, jobsDir: jobsDir,
            environment: context.environment, displayBase: context.workingDirectory)
        context.console.out(text.isEmpty || text.hasSuffix("\n") ? text : text + "\n")
        return 0
    }

    /// FILE as a name inside `jobs.d/`: a path to a file there, or its bare name.
    static func templateName(of file: String, jobsDir: URL, context: Context) throws -> String {
        let dir = jobsDir.standardizedFileURL.path
        let path = context.resolve(file).path
        let manager = FileManager.default
        if path.hasPrefix(dir + "/"), manager.fileExists(atPath: path) {
            return String(path.dropFirst(dir.count + 1))
        }
        if !file.contains("/"), manager.fileExists(atPath: dir + "/" + file) { return file }
        let names = (try? manager.contentsOfDirectory(atPath: dir)) ?? []
        let shown = displayPath(dir, relativeTo: context.workingDirectory.path)
        let base = (file as NSString).lastPathComponent
        throw CLIError.usage(
            "'\(file)' is not a file in \(shown)/"
                + Suggestion.clause(for: base, in: names.filter { !$0.hasPrefix(".") }.sorted()))
    }
}
