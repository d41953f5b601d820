import Foundation

/// One line for a user, location first (the CLI prefixes `jcrun: error: `).
extension StoreError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notADatabase(let path):
            return "\(path): not an SQLite database; use --storage to name another file"
        case .foreignDatabase(let path):
            return "\(path): an SQLite database that jcrun did not create; use --storage to name another file"
        case .newerSchema(let path, let found, let supported):
            return "\(path): written by a newer jcrun (schema \(found), this jcrun knows up to \(supported)); upgrade jcrun"
        case .notInstalled(let path):
            return "\(path): no jcrun store here yet; a build or 'jcrun install' creates it"
        case .needsMigration(let path, let found, let supported):
            return "\(path): the store has schema \(found) and this jcrun needs \(supported); run 'jcrun install' to migrate it"
        case .unreachable(let path, let reason):
            return "\(path): \(reason)"
        case .diskFull(let path):
            return "\(path): the disk is full; free space or prune old builds ('jcrun prune')"
        case .engine(let message):
            return message
        case .refused(let why):
            return why
        case .noSuchBuild(let id):
            return "no build #\(id)"
        }
    }
}
