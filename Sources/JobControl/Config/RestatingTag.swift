/// YAML's own scalar tags (`!!int`, `!!float`, `!!bool`, `!!null`) are
/// accepted only where they restate what is written: `!!int 5x` would
/// otherwise be taken as the text `5x` with a claim jcrun never checks.
enum RestatingTag {
    /// What `tag` claims `text` is (`an integer`), when `text` is not that
    /// in YAML 1.1 or 1.2; nil when it fits, or for `!!str` and other tags.
    static func misfit(_ tag: String, _ text: String) -> String? {
        switch tag {
        case "tag:yaml.org,2002:int": return isInteger(text) ? nil : "an integer"
        case "tag:yaml.org,2002:float": return isFloat(text) ? nil : "a number"
        case "tag:yaml.org,2002:bool": return booleans.contains(text) ? nil : "true or false"
        case "tag:yaml.org,2002:null": return nulls.contains(text) ? nil : "null"
        default: return nil
        }
    }

    static let booleans: Set<String> = [
        "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes", "YES", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
    ]
    static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// `[-+]?` then `0b[01_]+`, `0o[0-7_]+`, `0x[0-9a-fA-F_]+`, `[0-9][0-9_]*`,
    /// or base 60 (`1:30`).
    static func isInteger(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        for (prefix, digits) in [("0b", "01"), ("0o", "01234567"), ("0x", "0123456789abcdefABCDEF")]
        where rest.hasPrefix(prefix) {
            let body = rest.dropFirst(2)
            return !body.isEmpty && body.allSatisfy { $0 == "_" || digits.contains($0) }
                && body.contains { $0 != "_" }
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard let first = parts.first, isDigits(first) else { return false }
        return parts.dropFirst().allSatisfy { $0.count <= 2 && isDigits($0) }
    }

    /// `[0-9][0-9_]*`.
    private static func isDigits(_ text: Substring) -> Bool {
        guard let first = text.first, first.isASCII, first.isNumber else { return false }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && $0.isNumber) }
    }

    /// An integer, `.inf`/`.nan` forms, or `[-+]?` digits with a `.` and/or
    /// an exponent (`1.5`, `.5`, `1e3`, `1.5e-3`).
    static func isFloat(_ text: String) -> Bool {
        if isInteger(text) { return true }
        var rest = Substring(text)
        if [".nan", ".NaN", ".NAN"].contains(rest) { return true }
        if rest.first == "-" || rest.first == "+" { rest = rest.dropFirst() }
        if [".inf", ".Inf", ".INF"].contains(rest) { return true }
        var mantissa = rest
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = rest[..<e]
            var exponent = rest[rest.index(after: e)...]
            if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
            guard !exponent.isEmpty, exponent.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return false
            }
        }
        let pieces = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, pieces.contains(where: { !$0.isEmpty }) else { return false }
        let isDigitRun: (Substring) -> Bool = { piece in
            piece.allSatisfy { $0 == "_" || ($0.isASCII && $0.isNumber) }
                && (piece.isEmpty || piece.first != "_")
        }
        guard pieces.allSatisfy(isDigitRun) else { return false }
        // Base 60 with a fraction (`1:30.5`) is left out: nobody writes it.
        return pieces.count == 2 || mantissa.count < rest.count
    }
}
