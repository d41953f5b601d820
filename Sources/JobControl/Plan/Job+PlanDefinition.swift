import Foundation

// TODO(#5): stand-in until the config loader's `Job.definitionHash` and
// `Job.snapshotJSON()` land; until then hashes stored by this code differ from
// the loader's, so the first run after the switch sees every job's definition changed.
extension Job {
    /// The fields whose change outdates a job (JOBS.md), in the order messages name them.
    static let hashedFields: [String] = ["command", "args", "env", "dependencies", "workdir"]

    /// The job's definition as JSON text with sorted keys, secrets by name.
    var planSnapshotJSON: String {
        let object: [String: Any] = planSnapshotObject
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// A 64-bit FNV-1a hash of the hashed fields, as 16 hex digits.
    var planDefinitionHash: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in planSnapshotJSON.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    private var planSnapshotObject: [String: Any] {
        let commandValue: Any
        switch command {
        case .argv(let values): commandValue = values.map(Self.jsonValue)
        case .shell(let text): commandValue = text
        }
        let envValue: [[Any]] = env.map { [$0.name, Self.jsonValue($0.value)] }
        return [
            "command": commandValue, "args": args.map(Self.jsonValue), "env": envValue,
            "dependencies": dependencies.sorted(), "workdir": workdir,
        ]
    }

    private static func jsonValue(_ value: ArgValue) -> Any {
        switch value {
        case .text(let text): return text
        case .retval(let job): return ["retval": job]
        case .secret(let name): return ["secret": name]
        }
    }
}
