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

/// Why a file could not be read, in jcrun's words.
struct FileReadFailure: Error {
    let text: String
}

/// A secret file's text, read with open(2) and read(2) so that the reason
/// for a failure is the system's (a folder is named as one; `/dev/null`
/// reads as empty text, not `permission denied`).
func readSecretFile(_ path: String) -> Result<String, FileReadFailure> {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return .failure(FileReadFailure(text: posixReason(errno))) }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
        return .failure(FileReadFailure(text: "it is a folder, not a file"))
    }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4_096)
    while true {
        let count = read(fd, &buffer, buffer.count)
        if count < 0 {
            if errno == EINTR { continue }
            return .failure(FileReadFailure(text: posixReason(errno)))
        }
        if count == 0 { break }
        bytes += buffer[0..<count]
        // A secret is a token, not a file's worth of text (`/dev/zero`).
        if bytes.count > 1 << 20 { return .failure(FileReadFailure(text: "larger than 1 MiB")) }
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
        return .failure(FileReadFailure(text: "not valid UTF-8 text"))
    }
    return .success(text)
}

/// `strerror` in jcrun's words, as `fileErrorReason` words them.
private func posixReason(_ code: Int32) -> String {
    switch code {
    case ENOENT: return "no such file"
    case EACCES: return "permission denied"
    case ELOOP: return "too many symbolic links (a loop?)"
    default: return String(cString: strerror(code)).lowercased()
    }
}
