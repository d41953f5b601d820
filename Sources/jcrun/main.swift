import Foundation

BrokenPipe.install()
exit(Jcrun.main(Array(CommandLine.arguments.dropFirst())))
