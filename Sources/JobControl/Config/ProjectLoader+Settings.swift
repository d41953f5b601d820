import Foundation

/// `jcrun.yaml` alone, for commands that read stored builds while the job
/// files do not load.
extension ProjectLoader {
    /// The project's settings, read without any job file.
    ///
    /// - Throws: `ConfigErrors`: what is wrong in `jcrun.yaml`.
    public static func settings(
        projectDir: URL, jobsDir: URL, environment: [String: String], displayBase: URL? = nil
    ) throws -> Settings {
        let base = (displayBase ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .absoluteURL.standardizedFileURL.path
        let loader = ProjectLoader(
            projectDir: projectDir.absoluteURL.standardizedFileURL,
            jobsDir: jobsDir.absoluteURL.standardizedFileURL, environment: environment, base: base,
            cache: nil, inputs: nil)
        let (settings, _) = loader.loadSettings()
        guard loader.collector.errors.isEmpty else { throw loader.collector.errors }
        return settings
    }
}
