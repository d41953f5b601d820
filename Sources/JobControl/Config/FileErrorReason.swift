import Foundation

/// Why a file could not be read, in jcrun's words (`no such file`), not
/// Foundation's (`The file doesn’t exist.`).
func fileErrorReason(_ error: Error) -> String {
    let nsError = error as NSError
    var code: Int32?
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
        underlying.domain == NSPOSIXErrorDomain
    {
        code = Int32(underlying.code)
    } else if nsError.domain == NSPOSIXErrorDomain {
        code = Int32(nsError.code)
    }
    if code == nil && nsError.domain == NSCocoaErrorDomain {
        switch nsError.code {
        case NSFileReadNoSuchFileError, NSFileNoSuchFileError: code = ENOENT
        case NSFileReadNoPermissionError: code = EACCES
        case NSFileReadInapplicableStringEncodingError: return "not valid UTF-8 text"
        default: break
        }
    }
    switch code {
    case ENOENT: return "no such file"
    case EACCES: return "permission denied"
    case EISDIR: return "is a directory"
    case ELOOP: return "too many symbolic links (a loop?)"
    case .some(let code): return String(cString: strerror(code)).lowercased()
    case nil: return nsError.localizedFailureReason ?? nsError.localizedDescription
    }
}
