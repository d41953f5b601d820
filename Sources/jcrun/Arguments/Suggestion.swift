/// Near-match suggestions for "did you mean ...?" in error messages.
enum Suggestion {
    /// The candidate closest to `word` by edit distance (a swap of two
    /// letters counts as one edit), if close enough to be a likely typo:
    /// one edit for words of two or three letters, else one edit in three
    /// letters; failing that, the shortest candidate that `word` starts
    /// with or that starts with `word` (both two letters or more). Leading
    /// dashes do not count.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let bare = Array(word.drop { $0 == "-" })
        guard bare.count >= 2 else { return nil }
        let limit = bare.count <= 3 ? 1 : bare.count / 3
        var best: (String, Int)?
        var prefixed: String?
        for candidate in candidates {
            let other = Array(candidate.drop { $0 == "-" })
            let distance = editDistance(bare, other)
            if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
            if other.count >= 2, other != bare,
                bare.starts(with: other) || other.starts(with: bare),
                other.count < (prefixed.map { Array($0.drop { $0 == "-" }).count } ?? Int.max)
            {
                prefixed = candidate
            }
        }
        return best?.0 ?? prefixed
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
