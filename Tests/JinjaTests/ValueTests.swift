import Testing

@testable import Jinja

@Test func orderedDictKeepsInsertionOrder() {
    var dict = OrderedDict()
    dict["b"] = .int(1)
    dict["a"] = .int(2)
    dict["b"] = .int(3)
    #expect(dict.keys == ["b", "a"])
    #expect(dict["b"] == .int(3))
    dict["b"] = nil
    #expect(dict.keys == ["a"])
}
