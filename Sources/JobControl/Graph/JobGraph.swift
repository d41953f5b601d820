/// The dependency graph of a set of jobs: order, cycles, dependents.
///
/// Pure: built from jobs alone, no disk, clock or processes. Jobs are
/// numbered by id order, so every walk and every tie is broken by id and the
/// results never depend on file order or hashing.
public struct JobGraph: Sendable {
    /// Job ids sorted; a job's index is its number in the arrays below.
    private let ids: [JobID]
    private let index: [JobID: Int]
    /// `needs[i]`: the jobs job i depends on, sorted; unknown ids are left out.
    private let needs: [[Int]]
    /// `neededBy[i]`: the jobs that depend on job i, sorted.
    private let neededBy: [[Int]]
    private let sources: [[JobID: SourceLocation]]

    public init(_ jobSet: JobSet) { self.init(jobs: jobSet.jobs) }

    public init(jobs: [Job]) {
        // Number jobs by id; sort positions, not the (large) Job values.
        let positions = jobs.indices.sorted { jobs[$0].id < jobs[$1].id }
        ids = positions.map { jobs[$0].id }
        var index: [JobID: Int] = [:]
        index.reserveCapacity(ids.count)
        for (number, id) in ids.enumerated() where index[id] == nil { index[id] = number }
        self.index = index

        // Edges both ways; `dependencies` is sorted, so numbers come sorted too.
        var needs: [[Int]] = []
        needs.reserveCapacity(ids.count)
        var neededBy = [[Int]](repeating: [], count: ids.count)
        for (number, position) in positions.enumerated() {
            var edges: [Int] = []
            for dependency in jobs[position].dependencies {
                if let other = index[dependency], edges.last != other { edges.append(other) }
            }
            if !edges.isSorted() { edges = Array(Set(edges)).sorted() }
            needs.append(edges)
            for dependency in edges { neededBy[dependency].append(number) }
        }
        self.needs = needs
        self.neededBy = neededBy
        sources = positions.map { jobs[$0].dependencySources }
    }

    public var jobIDs: [JobID] { ids }

    public func contains(_ id: JobID) -> Bool { index[id] != nil }

    /// Every job, each after all of its dependencies; among jobs that are
    /// ready at the same time, the smallest id first. Jobs on a cycle are
    /// left out (a loaded `JobSet` has none).
    public var order: [JobID] { topologicalOrder(of: Array(ids.indices)).map { ids[$0] } }

    /// The jobs `id` depends on directly, by id.
    public func dependencies(of id: JobID) -> [JobID] {
        guard let number = index[id] else { return [] }
        return needs[number].map { ids[$0] }
    }

    /// The jobs that depend on `id` directly, by id.
    public func dependents(of id: JobID) -> [JobID] {
        guard let number = index[id] else { return [] }
        return neededBy[number].map { ids[$0] }
    }

    /// Everything `id` needs, directly or not, in build order (not `id` itself).
    public func transitiveDependencies(of id: JobID) -> [JobID] { closure(of: id, along: needs) }

    /// Everything that needs `id`, directly or not, in build order (not `id` itself).
    public func transitiveDependents(of id: JobID) -> [JobID] { closure(of: id, along: neededBy) }

    private func closure(of id: JobID, along edges: [[Int]]) -> [JobID] {
        guard let start = index[id] else { return [] }
        var seen = [Bool](repeating: false, count: ids.count)
        var stack = [start]
        seen[start] = true
        var found: [Int] = []
        while let next = stack.popLast() {
            for other in edges[next] where !seen[other] {
                seen[other] = true
                found.append(other)
                stack.append(other)
            }
        }
        return topologicalOrder(of: found).map { ids[$0] }
    }

    /// Kahn's algorithm over a subset of jobs, a min-heap keeping ties in id order.
    private func topologicalOrder(of subset: [Int]) -> [Int] {
        var member = [Bool](repeating: false, count: ids.count)
        for number in subset { member[number] = true }
        var waiting = [Int](repeating: 0, count: ids.count)
        var ready = OrderedHeap<Int>()
        for number in subset {
            waiting[number] = needs[number].count { member[$0] }
            if waiting[number] == 0 { ready.push(number) }
        }
        var order: [Int] = []
        order.reserveCapacity(subset.count)
        while let number = ready.pop() {
            order.append(number)
            for dependent in neededBy[number] where member[dependent] {
                waiting[dependent] -= 1
                if waiting[dependent] == 0 { ready.push(dependent) }
            }
        }
        return order
    }

    /// The first cycle found, walking jobs and their dependencies by id, as
    /// a path that ends where it starts (`[a, b, a]`: a needs b, b needs a).
    ///
    /// The path is rotated to start at its smallest id, so the same cycle is
    /// always reported the same way whatever the files' order.
    public func findCycle() -> [JobID]? { findCycles(limit: 1).first }

    /// Up to `limit` cycles that share no job, each as `findCycle` gives one:
    /// a file with two separate mistakes shows both.
    public func findCycles(limit: Int) -> [[JobID]] {
        // Iterative depth-first search; state 1 = on the current path, 2 = done.
        var state = [UInt8](repeating: 0, count: ids.count)
        var cycles: [[JobID]] = []
        var inCycles = Set<Int>()
        for root in ids.indices where state[root] == 0 {
            var path: [(node: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while let (node, next) = path.last {
                guard next < needs[node].count else {
                    state[node] = 2
                    path.removeLast()
                    continue
                }
                path[path.count - 1].next += 1
                let dependency = needs[node][next]
                if state[dependency] == 1 {
                    let start = path.firstIndex { $0.node == dependency }!
                    let loop = path[start...].map(\.node)
                    if inCycles.isDisjoint(with: loop) {
                        inCycles.formUnion(loop)
                        cycles.append(rotated(loop).map { ids[$0] })
                        if cycles.count == limit { return cycles }
                    }
                }
                if state[dependency] == 0 {
                    state[dependency] = 1
                    path.append((dependency, 0))
                }
            }
        }
        return cycles
    }

    private func rotated(_ loop: [Int]) -> [Int] {
        let smallest = loop.indices.min { loop[$0] < loop[$1] }!
        let cycle = Array(loop[smallest...] + loop[..<smallest])
        return cycle + [cycle[0]]
    }

    /// The cycle as a `ConfigError`, each edge with where it is written.
    public func cycleError() -> ConfigError? { cycleErrors(limit: 1).first }

    /// Up to `limit` cycles that share no job, as `ConfigError`s.
    public func cycleErrors(limit: Int) -> [ConfigError] {
        findCycles(limit: limit).map { path in
            let edges = zip(path, path.dropFirst()).map { job, dependency in
                sources[index[job]!][dependency]
                    ?? SourceLocation(file: "<unknown>", line: 0, column: 0)
            }
            return .cycle(path: path, edges: edges)
        }
    }
}

extension Array where Element == Int {
    /// Strictly increasing (so also free of duplicates).
    fileprivate func isSorted() -> Bool {
        var index = 1
        while index < count {
            if self[index - 1] >= self[index] { return false }
            index += 1
        }
        return true
    }
}
