import Foundation

/// The jobs a request touches: the named ones, their transitive dependents
/// with `--with-revdeps`, and their dependencies unless `--no-deps`.
struct PlanScope {
    /// Named on the command line (for `.all`: every job not protected).
    var named: Set<JobID> = []
    /// Reached by `--with-revdeps` (not named, not protected).
    var revdeps: Set<JobID> = []
    /// Protected dependents `--with-revdeps` passed over.
    var protectedRevdeps: Set<JobID> = []
    /// Every job in scope.
    var all: Set<JobID> = []
    /// Jobs in scope that another job in scope depends on.
    var needed: Set<JobID> = []

    /// - Throws: `PlanError.unknownJob`, `PlanError.pinNotADependency`.
    init(request: PlanRequest, jobs: JobSet, pins: [JobID: BuildRecord]) throws {
        // Named jobs.
        switch request.targets {
        case .all:
            named = Set(jobs.jobs.lazy.filter { !$0.protect }.map(\.id))
            all = Set(jobs.jobs.map(\.id))
        case .jobs(let ids):
            for id in ids where jobs[id] == nil {
                throw PlanError.unknownJob(id, suggestion: Planner.suggestion(for: id, in: jobs))
            }
            named = Set(ids)
            all = named
        }

        // Dependents, not passing through protected ones.
        if request.withRevdeps { addRevdeps(jobs: jobs) }

        // Dependencies, not past a pinned build (with every job in scope
        // already, none to add).
        let everyJob = all.count == jobs.jobs.count
        if !request.noDeps && !everyJob {
            var stack: [JobID] = Array(all)
            while let id = stack.popLast() {
                for dep in jobs[id]?.dependencies ?? [] where pins[dep] == nil && !all.contains(dep) {
                    all.insert(dep)
                    stack.append(dep)
                }
            }
        }
        for job in jobs.jobs where everyJob || all.contains(job.id) {
            needed.formUnion(job.dependencies)
        }
        for pin in pins.keys.sorted() where !needed.contains(pin) {
            throw PlanError.pinNotADependency(pin)
        }
    }

    private mutating func addRevdeps(jobs: JobSet) {
        var dependents: [JobID: [JobID]] = [:]
        for job in jobs.jobs {
            for dep in job.dependencies { dependents[dep, default: []].append(job.id) }
        }
        var stack: [JobID] = Array(named)
        while let id = stack.popLast() {
            for dependent in dependents[id] ?? [] where !all.contains(dependent) {
                if jobs[dependent]?.protect == true {
                    protectedRevdeps.insert(dependent)
                    continue
                }
                revdeps.insert(dependent)
                all.insert(dependent)
                stack.append(dependent)
            }
        }
    }

    /// The jobs in scope in the graph's order: dependencies first, ties by id.
    /// - Throws: `PlanError.cycle` when jobs in scope are on a cycle (a
    ///   loaded `JobSet` has none).
    func order(graph: JobGraph) throws -> [JobID] {
        // With every job in scope and no cycle, that is the whole order.
        let every = graph.order
        if every.count == graph.jobIDs.count && all.count == every.count { return every }
        let order = every.filter { all.contains($0) }
        if order.count < all.count {
            let ordered = Set(order)
            throw PlanError.cycle(graph.findCycle() ?? all.filter { !ordered.contains($0) }.sorted())
        }
        return order
    }
}
