/// One of a job's three streams as the run loop reads it: its pipe, its
/// line splitter and, where it carries directives, its protocol parser.
final class StreamState {
    /// What the stream's lines are.
    enum Role {
        /// Parsed for directives (stdout by default, descriptor 3 unless off).
        case directives
        /// Logged as printed (stderr; stdout under `directives: fd` or `off`).
        case output
        /// Descriptor 3 under `directives: off`: logged, with a warning.
        case directivesOff
    }

    /// The read end; -1 once closed.
    var fd: Int32
    /// The stream its ordinary lines are stored under.
    let stream: LogStream
    let role: Role
    var splitter: LineSplitter
    var parser = ProtocolParser()

    init(fd: Int32, stream: LogStream, role: Role, masker: SecretMasker) {
        self.fd = fd
        self.stream = stream
        self.role = role
        self.splitter = LineSplitter(readsDirectives: role == .directives, masker: masker)
    }
}
