/// `application/x-www-form-urlencoded` text (POST bodies, query strings)
/// decoded by hand: Foundation's `URLComponents` traps on bytes it does not
/// accept, and these bytes come from whoever connects.
enum FormDecoding {
    /// The fields of `bytes`: split on `&`, then on the first `=`; `+` is a
    /// space; `%XX` is a byte; an invalid escape stays as written. The last
    /// value of a repeated name wins. Never traps, whatever the bytes.
    static func fields(_ bytes: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = pair.firstIndex(of: UInt8(ascii: "=")) {
                fields[decode(pair[..<equals])] = decode(pair[(equals + 1)...])
            } else {
                fields[decode(pair[...])] = ""
            }
        }
        return fields
    }

    /// One name or value: `+` → space, `%41` → `A`, `%zz` kept; invalid UTF-8 → U+FFFD.
    static func decode(_ text: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < text.endIndex,
                let high = hex(text[index + 1]), let low = hex(text[index + 2])
            {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
