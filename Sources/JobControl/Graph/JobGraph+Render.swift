extension JobGraph {
    /// `jcrun graph [JOB] [--revdeps]` as an indented tree.
    ///
    /// Without a root, one tree per job that nothing depends on (with
    /// `reverse`: per job that depends on nothing). A job met a second time
    /// is printed with `(see above)` instead of its subtree again, so a
    /// diamond stays small:
    ///
    ///     report
    ///     ├── merge
    ///     │   └── crawl
    ///     └── crawl (see above)
    public func renderText(root: JobID?, reverse: Bool) -> String {
        let roots =
            root.map { [$0] }
            ?? jobIDs.filter { id in
                (reverse ? dependencies(of: id) : dependents(of: id)).isEmpty
            }
        var lines: [String] = []
        var expanded: Set<JobID> = []
        for id in roots where contains(id) {
            lines.append(id)
            appendTree(under: id, reverse: reverse, expanded: &expanded, into: &lines)
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Levels indented before deeper ones keep the indentation and show
    /// their depth instead (`└── [depth 25] x`), so no line is all spaces.
    static let maxIndentedDepth = 16

    /// One job whose children are being printed: its children, the next one
    /// to print, and the prefix and depth they are printed with.
    private struct TreeFrame {
        var children: [JobID]
        var next = 0
        var prefix: String
        var depth: Int
    }

    /// The lines under `root`, depth first, on an explicit stack: a chain of
    /// dependencies can be tens of thousands deep, more than recursion allows.
    private func appendTree(
        under root: JobID, reverse: Bool, expanded: inout Set<JobID>, into lines: inout [String]
    ) {
        func children(of id: JobID) -> [JobID] {
            reverse ? dependents(of: id) : dependencies(of: id)
        }
        expanded.insert(root)
        var stack = [TreeFrame(children: children(of: root), prefix: "", depth: 1)]
        while let frame = stack.last {
            guard frame.next < frame.children.count else {
                stack.removeLast()
                continue
            }
            stack[stack.count - 1].next += 1
            let child = frame.children[frame.next]
            let last = frame.next == frame.children.count - 1
            let grandchildren = children(of: child)
            let seen = expanded.contains(child) && !grandchildren.isEmpty
            let depth = frame.depth
            let marker = depth > Self.maxIndentedDepth ? "[depth \(depth)] " : ""
            let connector = last ? "└── " : "├── "
            lines.append(frame.prefix + connector + marker + child + (seen ? " (see above)" : ""))
            if !seen {
                let nested =
                    depth >= Self.maxIndentedDepth
                    ? frame.prefix : frame.prefix + (last ? "    " : "│   ")
                expanded.insert(child)
                stack.append(TreeFrame(children: grandchildren, prefix: nested, depth: depth + 1))
            }
        }
    }

    /// The same graph in Graphviz's dot language; an edge points from a
    /// dependency to the job that needs it. With a root, only that job and
    /// its transitive dependencies (or dependents, with `reverse`).
    public func renderDot(root: JobID?, reverse: Bool) -> String {
        var members: [JobID]
        if let root {
            let closure =
                reverse ? transitiveDependents(of: root) : transitiveDependencies(of: root)
            members = contains(root) ? [root] + closure : []
        } else {
            members = order
        }
        members.sort()
        let included = Set(members)
        var text = "digraph jobs {\n    rankdir=LR;\n"
        for id in members {
            text += "    \(dotQuoted(id));\n"
        }
        for id in members {
            for dependency in dependencies(of: id) where included.contains(dependency) {
                text += "    \(dotQuoted(dependency)) -> \(dotQuoted(id));\n"
            }
        }
        return text + "}\n"
    }

    private func dotQuoted(_ id: JobID) -> String {
        var quoted = "\""
        for character in id {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}
