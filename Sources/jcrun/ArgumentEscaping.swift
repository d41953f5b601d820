import Foundation
import JobControl

/// Command-line values as jcrun's error messages show them: newlines and
/// tabs (which a message keeps as its own line structure) and bytes that
/// are not UTF-8 (which Swift's arguments hold as U+FFFD) written as `\x0a`,
/// `\x09` and `\xff`, so that `jcrun $'a\nb'` says `unknown job 'a\x0ab'`
/// on one line.
struct ArgumentEscaping {
    /// (as a message holds it, as it is shown), longest first.
    private let replacements: [(String, String)]

    /// From the arguments' bytes as the process received them.
    init(raw: [[UInt8]]) {
        var pairs: [String: String] = [:]
        for bytes in raw {
            let plain = String(validating: bytes, as: UTF8.self) != nil
                && !bytes.contains(where: { $0 == 0x0A || $0 == 0x09 })
            if plain { continue }
            // The whole argument and its parts around `=` (`--pin DEP=1`, `--x=VALUE`).
            var pieces: [[UInt8]] = [bytes]
            pieces += bytes.split(separator: UInt8(ascii: "=")).map { Array($0) }
            for piece in pieces {
                let held = String(decoding: piece, as: UTF8.self)
                let shown = VisibleText.escaped(bytes: piece)
                    .replacingOccurrences(of: "\t", with: "\\x09")
                let structural = held.unicodeScalars.allSatisfy { $0 == "\n" || $0 == "\t" }
                if held != shown && !structural { pairs[held] = shown }
            }
        }
        replacements = pairs.sorted { $0.key.utf8.count > $1.key.utf8.count }
    }

    /// The arguments of this process (`CommandLine.unsafeArgv`), without the program's name.
    static func processArguments() -> [[UInt8]] {
        (1..<Int(CommandLine.argc)).compactMap { index in
            CommandLine.unsafeArgv[index].map { pointer in
                let bytes = UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self)
                return Array(UnsafeBufferPointer(start: bytes, count: strlen(pointer)))
            }
        }
    }

    /// `message` with each argument that needs it shown escaped.
    func apply(_ message: String) -> String {
        var result = message
        for (held, shown) in replacements where result.contains(held) {
            result = result.replacingOccurrences(of: held, with: shown)
        }
        return result
    }
}
