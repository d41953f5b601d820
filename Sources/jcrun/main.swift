import Foundation
import JobControl

BrokenPipe.install()
_ = OpenFileLimit.raise()  // -j N needs a descriptor budget (OpenFileLimit)
exit(Jcrun.main(Array(CommandLine.arguments.dropFirst()), raw: ArgumentEscaping.processArguments()))
