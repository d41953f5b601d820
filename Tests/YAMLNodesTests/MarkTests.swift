import Testing
@testable import YAMLNodes

@Test func markPrintsLineThenColumn() {
    #expect(Mark(line: 3, column: 7).description == "3:7")
}
