import Foundation

// TODO(#5): stand-in until the config loader's `Job.definitionHash` and
// `Job.snapshotJSON()` land; until then hashes stored by this code differ from
// the loader's, so the first run after the switch sees every job's definition changed.
extension Job {
    /// The fields whose change outdates a job (JOBS.md), in the order messages name them.
    static let planHashedFields: [String] = ["command", "args", "env", "dependencies", "workdir"]

    /// The job's hashed fields as canonical JSON (sorted keys, no spaces),
    /// `!retval X` as `{"retval":"X"}` and `!secret N` as `{"secret":"N"}`.
    var planSnapshotJSON: String {
        let command: String
        switch self.command {
        case .argv(let values): command = Self.jsonArray(values.map(Self.json))
        case .shell(let text): command = Self.quoted(text)
        }
        let env = Self.jsonArray(self.env.map { Self.jsonArray([Self.quoted($0.name), Self.json($0.value)]) })
        return "{\"args\":" + Self.jsonArray(args.map(Self.json)) + ",\"command\":" + command
            + ",\"dependencies\":" + Self.jsonArray(dependencies.sorted().map(Self.quoted))
            + ",\"env\":" + env + ",\"workdir\":" + Self.quoted(workdir) + "}"
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

    private static func json(_ value: ArgValue) -> String {
        switch value {
        case .text(let text): return quoted(text)
        case .retval(let job): return "{\"retval\":" + quoted(job) + "}"
        case .secret(let name): return "{\"secret\":" + quoted(name) + "}"
        }
    }

    private static func jsonArray(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    /// A JSON string literal.
    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
