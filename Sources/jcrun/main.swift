import Foundation
import JobControl

// The command line is built in issue #6; this entry point only proves the
// package links.
FileHandle.standardError.write(Data("usage: jcrun JOB | COMMAND [OPTIONS]\n".utf8))
exit(2)
