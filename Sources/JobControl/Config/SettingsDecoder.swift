import Foundation
import Jinja
import YAMLNodes

/// Reads `jcrun.yaml`: `storage`, `vars`, `secrets` and `defaults`.
///
/// The file is plain YAML, not a template. Secrets are read here (from the
/// environment or a file) so a missing one is a definition error.
struct SettingsDecoder {
    static let keys = ["storage", "vars", "secrets", "defaults"]

    let reader: FieldReader
    let projectDir: URL
    let environment: [String: String]
    /// Notes the variables `!env` in `defaults` reads, for the job-set cache.
    var inputs: CacheInputs?
    /// `jcrun.yaml` or `jcrun.yml`, for messages.
    var fileName = "jcrun.yaml"

    /// The settings, and `defaults` as fields for `JobAssembler`.
    func decode(_ root: Node?) -> (Settings, JobFields) {
        var settings = Settings()
        var defaults = JobFields()
        guard let root, !isNull(root), let pairs = reader.mapping(root, field: fileName) else {
            return (settings, defaults)
        }
        reader.checkKeys(pairs, known: Self.keys, place: fileName)
        for (key, _, value) in pairs {
            switch key {
            case "storage": settings.storage = storage(value)
            case "vars": settings.vars = vars(value)
            case "secrets": settings.secrets = secrets(value)
            default: break
            }
        }
        // Defaults need the secret names, so they come after every other key.
        if let value = pairs.first(where: { $0.key == "defaults" })?.value, !isNull(value) {
            let decoder = JobDecoder(
                reader: reader,
                secretNames: (settings.secrets.keys + reader.collector.brokenSecrets).sorted(),
                environment: environment, inputs: inputs)
            defaults =
                decoder.fields(of: value, known: JobFields.defaultKeys, place: "defaults")
                ?? defaults
        }
        return (settings, defaults)
    }

    /// The storage setting, checked as `--storage` is, and resolved.
    private func storage(_ node: Node) -> String? {
        guard let value = reader.text(node, field: "storage") else { return nil }
        if let problem = StoreLocation.problem(with: value) {
            reader.fail(
                .invalidValue(
                    field: "storage", value: StoreLocation.redacted(value), problem: problem,
                    at: reader.at(node)))
            return nil
        }
        let resolved = resolveStorage(value)
        // A folder is no database (`sqlite://` names `/`): said here, where
        // the setting is written, not later by the store with the path alone.
        if case .sqlite(let path) = try? StoreLocation.parse(resolved, relativeTo: projectDir.path) {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder),
                isFolder.boolValue
            {
                let shown = "'" + (path as NSString).standardizingPath + "'"
                reader.fail(
                    .invalidValue(
                        field: "storage", value: StoreLocation.redacted(value),
                        problem: "\(shown) is a folder, not a database file;"
                            + " use a path, sqlite:PATH or postgresql://...",
                        at: reader.at(node)))
                return nil
            }
        }
        return resolved
    }

    /// A plain path or `sqlite:PATH` resolved against the project folder.
    private func resolveStorage(_ storage: String) -> String {
        if storage.contains("://") { return storage }
        let sqlite = storage.lowercased().hasPrefix("sqlite:")  // `SQLite:x.db` too, as `--storage`
        let path = sqlite ? String(storage.dropFirst("sqlite:".count)) : storage
        let resolved =
            path.hasPrefix("/")
            ? path : projectDir.appendingPathComponent(path).standardizedFileURL.path
        return sqlite ? "sqlite:" + resolved : resolved
    }

    private func vars(_ node: Node) -> OrderedDict {
        var vars = OrderedDict()
        guard !isNull(node), let pairs = reader.mapping(node, field: "vars") else { return vars }
        for (name, keyNode, value) in pairs {
            if name == "env" {
                reader.fail(.varNamedEnv(at: reader.at(keyNode)))
                continue
            }
            if tagsFit(value) { vars[name] = templateValue(value) }
        }
        return vars
    }

    /// False (and reported) when a var's value, or a value in it, carries a
    /// tag that reading it as data would drop (`!env HOME` is no lookup here).
    private func tagsFit(_ node: Node) -> Bool {
        switch node.kind {
        case .scalar:
            if case .scalar(let text, _) = node.kind, !reader.restatingTagFits(node, text) {
                return false
            }
            guard let tag = node.tag, !FieldReader.scalarTags.contains(tag) else { return true }
            reader.fail(.tagNotAllowed(displayTag(tag), field: "vars", at: reader.at(node)))
            return false
        case .sequence(let items):
            return reader.collectionTagFits(node) && items.allSatisfy(tagsFit)
        case .mapping(let pairs):
            return reader.collectionTagFits(node)
                && pairs.allSatisfy { tagsFit($0.key) && tagsFit($0.value) }
        }
    }

    /// Secret name to value: `{env: NAME}`, `{file: PATH}` or the text itself.
    private func secrets(_ node: Node) -> [String: String] {
        var secrets: [String: String] = [:]
        guard !isNull(node), let pairs = reader.mapping(node, field: "secrets") else {
            return secrets
        }
        for (name, keyNode, value) in pairs {
            guard let secret = secret(name, value) else {
                reader.collector.brokenSecrets.append(name)
                continue
            }
            if secret.count < 4 {
                reader.fail(.shortSecret(name, at: reader.at(keyNode)))
                reader.collector.brokenSecrets.append(name)
                continue
            }
            secrets[name] = secret
        }
        return secrets
    }

    /// A secret's value, refused when it holds a NUL byte (no program
    /// could be given it whole).
    private func secret(_ name: String, _ node: Node) -> String? {
        guard let value = secretValue(name, node) else { return nil }
        if value.utf8.contains(0) {
            reader.fail(.nulInSecret(name, at: reader.at(node)))
            return nil
        }
        return value
    }

    private func secretValue(_ name: String, _ node: Node) -> String? {
        if case .scalar = node.kind { return reader.text(node, field: "secrets") }
        guard case .mapping = node.kind else {
            reader.fail(.badSecret(name, found: reader.describe(node), at: reader.at(node)))
            return nil
        }
        guard let pairs = reader.mapping(node, field: "secret '\(name)'") else { return nil }
        guard pairs.count == 1, let (source, keyNode, value) = pairs.first else {
            let found = pairs.isEmpty ? "an empty mapping" : "a mapping of \(pairs.count) keys"
            reader.fail(.badSecret(name, found: found, at: reader.at(node)))
            return nil
        }
        guard source == "env" || source == "file" else {
            let suggestion = closestMatch(to: source, among: ["env", "file"])
            reader.fail(
                .unknownKey(
                    source, in: "secret '\(name)'", suggestion: suggestion, at: reader.at(keyNode)))
            return nil
        }
        guard let argument = reader.text(value, field: source) else { return nil }
        if source == "env" {
            guard let secret = environment[argument] else {
                reader.fail(
                    .unsetSecretSource(secret: name, variable: argument, at: reader.at(value)))
                return nil
            }
            return secret
        }
        let url =
            argument.hasPrefix("/")
            ? URL(fileURLWithPath: argument) : projectDir.appendingPathComponent(argument)
        switch readSecretFile(url.path) {
        case .success(var secret):
            while secret.hasSuffix("\n") || secret.hasSuffix("\r") { secret.removeLast() }
            return secret
        case .failure(let reason):
            reader.fail(
                .unreadableSecretFile(
                    secret: name, path: argument, reason: reason.text, at: reader.at(value)))
            return nil
        }
    }
}

/// A YAML node as a template value. Vars have no field type, so plain
/// scalars follow YAML 1.2's core schema (`true`, `10`, `1.5`, `~`); quoted
/// ones are always text.
func templateValue(_ node: Node) -> Value {
    switch node.kind {
    case .sequence(let items):
        return .list(items.map(templateValue))
    case .mapping(let pairs):
        var dict = OrderedDict()
        for pair in pairs {
            if case .scalar(let key, _) = pair.key.kind { dict[key] = templateValue(pair.value) }
        }
        return .dict(dict)
    case .scalar(let text, let style):
        guard style == .plain, node.tag == nil else { return .string(text) }
        if isNull(node) { return .none }
        switch text {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let int = Int(text) { return .int(int) }
        if text.first.map({ $0.isNumber || $0 == "-" || $0 == "." }) ?? false,
            let double = Double(text)
        {
            return .double(double)
        }
        return .string(text)
    }
}
