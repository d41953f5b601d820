/// A binary min-heap: the graph's and the planner's ready jobs, the scheduler's ready builds.
struct OrderedHeap<Element: Comparable> {
    private var items: [Element] = []

    init(_ elements: [Element] = []) {
        for element in elements { push(element) }
    }

    var isEmpty: Bool { items.isEmpty }

    /// The element `pop` would return, left in place.
    var first: Element? { items.first }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if items[parent] <= items[child] { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
