/// Python's `int(text, base)` and `float(text)` on strings, and float to
/// integer conversion, telling a value past 64 bits (which Python would
/// hold as a big integer) from text that is not a number.
enum PythonNumber {
    /// What `int(text, base)` makes of a string.
    enum IntText: Equatable {
        case value(Int)
        /// Valid digits whose value does not fit in 64 bits.
        case tooLarge
        /// Not an integer in that base (Python's `ValueError`).
        case invalid
    }

    /// Python's `int(text, base)`: surrounding whitespace, a sign, the
    /// base's prefix (`0x`, `0o`, `0b`; base 0 takes it from the prefix),
    /// and single underscores between digits.
    static func parseInt(_ text: String, base: Int) -> IntText {
        guard base == 0 || (2...36).contains(base) else { return .invalid }
        var scalars = Substring(Methods.strip(text, nil)).unicodeScalars[...]
        var negative = false
        if let sign = scalars.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            scalars = scalars.dropFirst()
        }
        var radix = base
        var afterPrefix = false
        if scalars.count >= 2, scalars.first == "0" {
            let letter = scalars[scalars.index(after: scalars.startIndex)]
            let prefixRadix: Int? =
                switch letter {
                case "x", "X": 16
                case "o", "O": 8
                case "b", "B": 2
                default: nil
                }
            if let prefixRadix, base == 0 || base == prefixRadix {
                radix = prefixRadix
                scalars = scalars.dropFirst(2)
                afterPrefix = true
            }
        }
        let decimalWithoutPrefix = radix == 0
        if radix == 0 { radix = 10 }
        // Python allows one underscore right after a prefix.
        if afterPrefix, scalars.first == "_" { scalars = scalars.dropFirst() }
        var magnitude: UInt64 = 0
        var overflow = false
        var digitCount = 0
        var previousWasUnderscore = false
        var allZero = true
        for scalar in scalars {
            if scalar == "_" {
                guard digitCount > 0, !previousWasUnderscore else { return .invalid }
                previousWasUnderscore = true
                continue
            }
            guard let digit = digitValue(scalar), digit < radix else { return .invalid }
            previousWasUnderscore = false
            digitCount += 1
            if digit != 0 { allZero = false }
            let (times, o1) = magnitude.multipliedReportingOverflow(by: UInt64(radix))
            let (plus, o2) = times.addingReportingOverflow(UInt64(digit))
            overflow = overflow || o1 || o2
            magnitude = plus
        }
        guard digitCount > 0, !previousWasUnderscore else { return .invalid }
        // Base 0 refuses a leading zero (`010`) unless every digit is zero.
        if decimalWithoutPrefix, scalars.first == "0", !allZero { return .invalid }
        if overflow { return .tooLarge }
        if negative {
            guard magnitude <= UInt64(Int.max) + 1 else { return .tooLarge }
            return .value(magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude))
        }
        guard magnitude <= UInt64(Int.max) else { return .tooLarge }
        return .value(Int(magnitude))
    }

    /// TODO(#2): only ASCII digits count, so `"١٢"|int` gives the default
    /// where Python reads Unicode decimal digits as 12.
    private static func digitValue(_ scalar: Unicode.Scalar) -> Int? {
        switch scalar.value {
        case 0x30...0x39: return Int(scalar.value - 0x30)
        case 0x61...0x7A: return Int(scalar.value - 0x61 + 10)
        case 0x41...0x5A: return Int(scalar.value - 0x41 + 10)
        default: return nil
        }
    }

    /// Python's `float(text)`: a decimal number (single underscores between
    /// digits), `inf`, `infinity` or `nan` with an optional sign, with
    /// surrounding whitespace; nil for anything else (hexadecimal floats too).
    static func parseFloat(_ text: String) -> Double? {
        let trimmed = Methods.strip(text, nil)
        var body = Substring(trimmed)
        var sign = ""
        if let first = body.first, first == "+" || first == "-" {
            sign = first == "-" ? "-" : ""
            body = body.dropFirst()
        }
        switch body.lowercased() {
        case "inf", "infinity": return sign == "-" ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        var cleaned = sign
        var index = body.startIndex
        /// Reads digits with single underscores between them; false if none.
        func digits() -> Bool {
            var count = 0
            while index < body.endIndex {
                let c = body[index]
                if c.isASCII, c.isNumber {
                    cleaned.append(c)
                    count += 1
                    index = body.index(after: index)
                } else if c == "_", count > 0 {
                    let next = body.index(after: index)
                    guard next < body.endIndex, body[next].isASCII, body[next].isNumber else {
                        return false
                    }
                    index = next
                } else {
                    break
                }
            }
            return count > 0
        }
        let whole = digits()
        var fraction = false
        if index < body.endIndex, body[index] == "." {
            cleaned.append(".")
            index = body.index(after: index)
            if index < body.endIndex, body[index] != "e", body[index] != "E" {
                guard digits() else { return nil }
                fraction = true
            }
        }
        guard whole || fraction else { return nil }
        if index < body.endIndex, body[index] == "e" || body[index] == "E" {
            cleaned.append("e")
            index = body.index(after: index)
            if index < body.endIndex, body[index] == "+" || body[index] == "-" {
                cleaned.append(body[index])
                index = body.index(after: index)
            }
            guard digits() else { return nil }
        }
        guard index == body.endIndex else { return nil }
        return Double(cleaned)
    }

    /// Python's `int(x)` of a finite float: toward zero, nil past 64 bits.
    static func truncating(_ x: Double) -> Int? {
        Int(exactly: x.rounded(.towardZero))
    }

    /// Python's text for `int(x)` of an infinity or a NaN.
    static func conversionError(_ x: Double) -> String {
        x.isNaN
            ? "cannot convert float NaN to integer" : "cannot convert float infinity to integer"
    }
}
