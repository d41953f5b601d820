/// One load's errors in the order a user reads and fixes them: `jcrun.yaml`
/// first, then each job file in name order, and within a file by line and
/// column, whichever step found them (an undefined dependency or a cycle is
/// found only once every file is read, and used to come after them all).
struct ErrorOrder {
    private struct Entry {
        var rank: Int
        /// 0 when the error is in its rank's file itself, 1 when elsewhere
        /// (an included template): those follow, in the order found.
        var elsewhere: Int
        var line: Int
        var column: Int
        var found: Int
        var error: ConfigError
    }

    /// The job files' display paths, in name order (rank 1 on).
    private let rankOfFile: [String: Int]
    private var fileOfRank: [Int: String] = [:]
    private var entries: [Entry] = []
    private var moreCount = 0

    init(fileNames: [String]) {
        var ranks: [String: Int] = [:]
        for (index, name) in fileNames.enumerated() where ranks[name] == nil {
            ranks[name] = index + 1
            fileOfRank[index + 1] = name
        }
        rankOfFile = ranks
    }

    var isEmpty: Bool { entries.isEmpty && moreCount == 0 }

    /// Adds `errors` found reading the file of `rank` (0: the settings), or,
    /// with `rank` nil, found across files: each in the job file it names
    /// (after every file when it names none).
    mutating func add(_ errors: ConfigErrors, rank: Int?) {
        moreCount += errors.moreCount
        for error in errors.errors {
            let location = error.location
            let fileRank = rank ?? location.flatMap { rankOfFile[$0.file] } ?? rankOfFile.count + 1
            let inFile = rank == 0 || location.map { $0.file == fileOfRank[fileRank] } ?? false
            entries.append(
                Entry(
                    rank: fileRank, elsewhere: inFile ? 0 : 1,
                    line: inFile ? location?.line ?? 0 : 0,
                    column: inFile ? location?.column ?? 0 : 0, found: entries.count, error: error))
        }
    }

    /// The errors by file, line and column (ties in the order found), the
    /// first `ConfigErrors.shownLimit` shown.
    func ordered() -> ConfigErrors {
        let sorted = entries.sorted { a, b in
            (a.rank, a.elsewhere, a.line, a.column, a.found)
                < (b.rank, b.elsewhere, b.line, b.column, b.found)
        }
        var result = ConfigErrors(sorted.map(\.error))
        result.countMore(moreCount)
        return result
    }
}
