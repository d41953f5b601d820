import Foundation

/// Rows to records and records' enums to the codes stored.
extension SQLiteStore {
    /// A `BuildRecord` from a row of `SQLiteSQL.buildColumns`.
    static func decodeBuild(_ row: SQLiteStatement, at first: Int32 = 0) -> BuildRecord {
        var runner: RunnerIdentity?
        if let host = row.optionalString(first + 16) {
            runner = RunnerIdentity(
                host: host, pid: row.optionalInt32(first + 17) ?? 0,
                processStart: UInt64(bitPattern: row.optionalInt64(first + 18) ?? 0),
                processGroup: row.optionalInt32(first + 19))
        }
        return BuildRecord(
            id: row.int64(first), job: row.string(first + 1),
            status: BuildStatus(rawValue: row.string(first + 2)) ?? .failed,
            failureKind: row.optionalString(first + 3).flatMap(FailureKind.init(rawValue:)),
            exitCode: row.optionalInt32(first + 4), signal: row.optionalString(first + 5),
            error: row.optionalString(first + 6), retval: row.optionalString(first + 7),
            attempt: row.int(first + 8), reason: row.string(first + 9),
            trigger: row.string(first + 10), configHash: row.string(first + 11),
            configSnapshot: row.string(first + 12), createdAt: row.date(first + 13),
            startedAt: row.optionalDate(first + 14), finishedAt: row.optionalDate(first + 15),
            runner: runner)
    }

    /// A `LogEntry` from a per-line row of schema 3 (`SQLiteLogMigration`).
    static func decodeLog(_ row: SQLiteStatement) -> LogEntry {
        LogEntry(
            build: row.int64(0), seq: row.int64(1), time: row.date(2),
            stream: streams[Int(row.int64(3))] ?? .stdout, level: levels[Int(row.int64(4))] ?? .info,
            text: row.string(5), raw: row.blob(6), continued: row.int64(7) != 0)
    }

    /// The codes the log chunks use (`LogChunkEncoder`), as SQLite binds them.
    static func levelCode(_ level: LogLevel) -> Int64 { Int64(LogChunkEncoder.levelCode(level)) }

    static func streamCode(_ stream: LogStream) -> Int64 {
        Int64(LogChunkEncoder.streamCode(stream))
    }

    private static let levels: [Int: LogLevel] = [0: .debug, 1: .info, 2: .warning, 3: .error, 4: .critical]
    private static let streams: [Int: LogStream] = [0: .stdout, 1: .stderr, 2: .jcrun, 3: .log]
}

/// A progress node's group path as stored: a JSON array of strings (`[]`
/// for the top level), so that any name survives and PostgreSQL can read it.
enum ProgressPath {
    static func encode(_ group: [String]) -> String {
        var text = "["
        for (index, name) in group.enumerated() {
            if index > 0 { text += "," }
            text += "\""
            for scalar in name.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case _ where scalar.value < 0x20:
                    text += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                default: text.unicodeScalars.append(scalar)
                }
            }
            text += "\""
        }
        return text + "]"
    }

    static func decode(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
