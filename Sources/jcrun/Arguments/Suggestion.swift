/// Near-match suggestions for "did you mean ...?" in error messages.
enum Suggestion {
    /// The candidate closest to `word` by edit distance (a swap of two
    /// letters counts as one edit), if close enough to be a likely typo:
    /// at most one edit in three letters; leading dashes do not count.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let bare = Array(word.drop { $0 == "-" })
        let limit = bare.count / 3
        guard limit > 0 else { return nil }
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(bare, Array(candidate.drop { $0 == "-" }))
            if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// `; did you mean 'x'?` or the empty string.
    static func clause(for word: String, in candidates: [String]) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Optimal string alignment distance: insertions, deletions,
    /// substitutions and swaps of neighbours each cost one.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var rows = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { rows[i][0] = i }
        for j in 0...b.count { rows[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    best = min(best, rows[i - 2][j - 2] + 1)
                }
                rows[i][j] = best
            }
        }
        return rows[a.count][b.count]
    }
}
