import Foundation

/// What the system said went wrong, as jcrun's messages word it: a
/// lowercase phrase (`no space left on device`), never strerror's or
/// Foundation's capitalised sentence (`No space left on device`).
public enum SystemErrorText {
    /// `strerror(code)` with its first letter in lower case.
    public static func of(code: Int32) -> String {
        lowercasedFirst(String(cString: strerror(code)))
    }

    /// The phrase for `error`: its POSIX code's (directly or as the
    /// underlying error of a Foundation error), else its description.
    public static func of(_ error: Error) -> String {
        if let error = error as? POSIXError { return of(code: error.code.rawValue) }
        let error = error as NSError
        let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError
        for candidate in [error, underlying] {
            if let candidate, candidate.domain == NSPOSIXErrorDomain {
                return of(code: Int32(candidate.code))
            }
        }
        return lowercasedFirst(error.localizedDescription)
    }

    private static func lowercasedFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.lowercased() + text.dropFirst()
    }
}
