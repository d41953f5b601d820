import Testing

@testable import JobControl

@Suite struct ProgressTreeTests {
    /// PROTOCOL.md's example: four reports on two files.
    @Test func drawsProtocolExampleExactly() {
        var tree = ProgressTree()
        var parser = ProtocolParser()
        let lines = [
            "@progress 100/100 http://example.com/foo.zip :: downloading",
            "@progress 0/100 http://example.com/foo.zip :: extracting",
            "@progress 50/100 http://example.com/bar.zip :: downloading",
            "@progress 0/100 http://example.com/bar.zip :: extracting",
        ]
        for line in lines {
            guard case .progress(let update) = parser.parseLine(line) else {
                Issue.record("not a progress line: \(line)")
                return
            }
            tree.apply(update)
        }
        #expect(
            tree.render() == [
                "[150/400] Total",
                "|-- [100/200] http://example.com/foo.zip",
                "|   |-- [100/100] downloading",
                "|   '-- [0/100] extracting",
                "'-- [50/200] http://example.com/bar.zip",
                "    |-- [50/100] downloading",
                "    '-- [0/100] extracting",
            ])
    }

    @Test func aReportedNodeKeepsItsOwnFiguresAndUnknownTotalsSpread() {
        var tree = ProgressTree()
        tree.apply(ProgressUpdate(group: ["a", "x"], current: 1, total: 4))
        tree.apply(ProgressUpdate(group: ["a"], current: 9, total: 10, status: "own"))
        tree.apply(ProgressUpdate(group: ["b"], current: 7, total: nil))
        #expect(tree.figures(at: ["a"])! == (9, 10))
        #expect(tree.figures(at: [])! == (16, nil))
        #expect(
            tree.render() == [
                "[16/?] Total",
                "|-- [9/10] a -- own",
                "|   '-- [1/4] x",
                "'-- [7/?] b",
            ])
    }

    @Test func aLaterReportReplacesFiguresAndClearsTheStatus() {
        var tree = ProgressTree()
        tree.apply(ProgressUpdate(group: ["d"], current: 1, total: 10, status: "page1"))
        tree.apply(ProgressUpdate(group: ["d"], current: 2, total: 10))
        #expect(tree.status(at: ["d"]) == nil)
        tree.apply(ProgressUpdate(group: [], current: 20, total: 100))
        #expect(tree.render() == ["[20/100] Total", "'-- [2/10] d"])
    }

    @Test(arguments: [(5, 10, 0.5), (12, 10, 1.0), (0, 0, 1.0)])
    func fractionCapsAtDone(current: Int, total: Int, fraction: Double) {
        #expect(ProgressTree.fraction(current: current, total: total) == fraction)
    }

    /// A path deeper than the protocol allows (stored by an older jcrun)
    /// is left out, so the tree and its drawing stay small.
    @Test func aPathDeeperThanTheProtocolAllowsIsIgnored() {
        var tree = ProgressTree()
        tree.apply(ProgressUpdate(group: [String](repeating: "a", count: 33), current: 1, total: 2))
        #expect(tree.isEmpty)
        tree.apply(ProgressUpdate(group: [String](repeating: "a", count: 32), current: 1, total: 2))
        #expect(tree.render().count == 33)
    }

    @Test func anUnknownTotalHasNoFraction() {
        #expect(ProgressTree.fraction(current: 7, total: nil) == nil)
    }

    /// The largest figures the protocol accepts neither trap nor wrap (found
    /// by a tester: a terminal view crashed on `@progress MAX/MAX`).
    @Test func figuresNearIntMaxNeitherTrapNorWrap() {
        var tree = ProgressTree()
        tree.apply(ProgressUpdate(group: ["a"], current: Int.max, total: Int.max))
        tree.apply(ProgressUpdate(group: ["b"], current: Int.max, total: Int.max))
        #expect(tree.figures(at: [])! == (Int.max, Int.max))
        #expect(ProgressText.percent(current: Int.max, total: Int.max) == 100)
        #expect(ProgressText.percent(current: Int.max / 2, total: Int.max) == 50)
        #expect(ProgressText.percent(current: 3, total: 4) == 75)
        let bars = ProgressBars.lines(tree, barWidth: 20, palette: Palette(enabled: false))
        #expect(bars.first?.contains("100%") == true)
    }
}
