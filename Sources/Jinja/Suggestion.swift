/// "did you mean 'x'?" for the candidate nearest `name` by edit distance, if
/// it is near enough to be a plausible typo.
func closestName(to name: String, in candidates: [String]) -> String? {
    let limit = max(1, name.count / 3)
    var best: (String, Int)?
    for candidate in candidates where candidate != name {
        let distance = editDistance(Array(name.unicodeScalars), Array(candidate.unicodeScalars))
        if distance <= limit && (best == nil || distance < best!.1) { best = (candidate, distance) }
    }
    return best.map { "did you mean '\($0.0)'?" }
}

/// Levenshtein distance, counting a swap of two neighbours as one edit.
func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], previous2[j - 2] + 1)
            }
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
}
