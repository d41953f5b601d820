extension ConfigError {
    /// Where the error is, as its message starts (`file:line:col`); nil for
    /// an error about the project as a whole (no `jobs.d/`, two settings
    /// files). Errors are shown in the order of these places.
    var location: SourceLocation? {
        switch self {
        case .noProject, .unreadable, .noJobsFolder, .jobsFolderNotAFolder, .notAJobFile,
            .notASettingsFile, .twoSettingsFiles, .internalError:
            return nil
        case .cycle(_, let edges):
            return edges.first
        case .invalidText(_, let at), .template(_, _, let at), .yamlSyntax(_, _, let at, _),
            .duplicateKey(_, let at, _), .unknownAnchor(_, let at), .tooManyNodes(_, let at),
            .badMerge(let at), .emptyFile(let at), .noJobsList(let at), .severalDocuments(_, let at),
            .unknownKey(_, _, _, let at), .missingKey(_, _, let at), .jobEntryNotAMapping(_, let at),
            .wrongType(_, _, _, let at), .invalidValue(_, _, _, let at), .invalidID(_, _, let at),
            .duplicateID(_, let at, _), .missingDependency(_, _, _, let at),
            .retvalOfNonDependency(_, _, let at), .unknownTag(_, _, let at),
            .misplacedTag(_, _, _, let at, _), .tagWithoutName(_, _, let at), .nulByte(_, let at),
            .nulInSecret(_, let at), .badSecret(_, _, let at), .keyNotText(_, _, let at),
            .tagNotAllowed(_, _, let at), .tagDoesNotFit(_, _, _, let at),
            .unknownSecret(_, _, let at),
            .unsetEnvironmentVariable(_, let at), .reservedEnvName(_, let at),
            .retvalNameClash(_, _, _, let at, _), .shortSecret(_, let at),
            .unsetSecretSource(_, _, let at), .unreadableSecretFile(_, _, _, let at),
            .varNamedEnv(let at):
            return at
        }
    }
}
