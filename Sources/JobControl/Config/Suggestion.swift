/// The candidate closest to `word`, when one is close enough to be a typo.
///
/// Distance is optimal-string-alignment edit distance (a swap of two
/// neighbours counts once: `titel` → `title`). A candidate qualifies within
/// about a third of the word's length, at least 1 and at most 3 edits; ties go
/// to the earliest candidate, so callers pass candidates in a stable order.
func closestMatch<S: Sequence<String>>(to word: String, among candidates: S) -> String? {
    let target = Array(word.unicodeScalars)
    let limit = max(1, min(3, target.count / 3))
    var best: (name: String, distance: Int)?
    for candidate in candidates where candidate != word {
        let distance = editDistance(target, Array(candidate.unicodeScalars))
        if distance <= limit, distance < (best?.distance ?? Int.max) {
            best = (candidate, distance)
        }
    }
    return best?.name
}

private func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    let width = b.count + 1
    var previous2 = [Int](repeating: 0, count: width)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: width)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                value = min(value, previous2[j - 2] + 1)
            }
            current[j] = value
        }
        swap(&previous2, &previous)
        swap(&previous, &current)
    }
    return previous[b.count]
}
