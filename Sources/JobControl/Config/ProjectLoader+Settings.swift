import Foundation

/// `jcrun.yaml` alone, for commands that read stored builds while the job
/// files do not load.
extension ProjectLoader {
    /// The project's settings, read without any job file. With
    /// `ignoringSecrets`, a secret that cannot be read (its variable unset,
    /// its file missing) leaves that secret out instead of failing: the
    /// store's location does not depend on it, and stored logs are masked.
    ///
    /// - Throws: `ConfigErrors`: what is wrong in `jcrun.yaml`.
    public static func settings(
        projectDir: URL, jobsDir: URL, environment: [String: String], displayBase: URL? = nil,
        ignoringSecrets: Bool = false
    ) throws -> Settings {
        let loader = standalone(
            projectDir: projectDir, jobsDir: jobsDir, environment: environment,
            displayBase: displayBase)
        let (settings, _) = loader.loadSettings()
        let errors = loader.collector.errors
        if errors.isEmpty || ignoringSecrets && errors.moreCount == 0
            && errors.errors.allSatisfy(\.isAboutASecret)
        {
            return settings
        }
        throw errors
    }
}

extension ConfigError {
    /// A secret whose value cannot be read or is unusable.
    var isAboutASecret: Bool {
        switch self {
        case .unsetSecretSource, .unknownSecret, .shortSecret, .unreadableSecretFile, .nulInSecret:
            return true
        default: return false
        }
    }
}
