import Foundation
import Jinja

/// One job file after its template step, as the YAML reader sees it.
extension ProjectLoader {
    /// Renders the job file `name` (relative to `jobsDir`) with the same
    /// `vars`, `env` and includes as loading does, without reading it as YAML;
    /// secret values in the text are masked as `***`.
    ///
    /// - Throws: `ConfigErrors`: the settings' errors, or the template's, located.
    public static func render(
        file name: String, projectDir: URL, jobsDir: URL, environment: [String: String],
        displayBase: URL? = nil
    ) throws -> String {
        try standalone(
            projectDir: projectDir, jobsDir: jobsDir, environment: environment,
            displayBase: displayBase
        ).render(name)
    }

    /// A loader for one step outside a full load (no cache, no inputs).
    static func standalone(
        projectDir: URL, jobsDir: URL, environment: [String: String], displayBase: URL?
    ) -> ProjectLoader {
        let base = (displayBase ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .absoluteURL.standardizedFileURL.path
        return ProjectLoader(
            projectDir: projectDir.absoluteURL.standardizedFileURL,
            jobsDir: jobsDir.absoluteURL.standardizedFileURL, environment: environment, base: base,
            cache: nil, inputs: nil)
    }

    private func render(_ name: String) throws -> String {
        let (settings, _) = loadSettings()
        guard collector.errors.isEmpty else { throw collector.errors }
        var templates = Jinja.Environment(
            loader: JobsDirLoader(jobsDir: jobsDir), globals: globals(settings.vars))
        templates.missingKeyNouns = Self.missingKeyNouns
        let path = display(jobsDir.appendingPathComponent(name).path)
        do {
            // Masked as `show` masks: a secret copied in with `{{ env.X }}`.
            let masker = SecretMasker(Array(settings.secrets.values))
            return masker.mask(try templates.render(templateNamed: name).text)
        } catch let error as TemplateError {
            let at = templateLocator(nil, file: path, templateName: name).location(of: error)
            collector.add(.template(message: error.message, suggestion: error.suggestion, at: at))
        } catch {
            collector.add(.unreadable(path: path, reason: reason(error)))
        }
        throw collector.errors
    }
}
