import Foundation

exit(Jcrun.main(Array(CommandLine.arguments.dropFirst())))
