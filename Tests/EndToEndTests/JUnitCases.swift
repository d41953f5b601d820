import Foundation
import FoundationXML

/// A JUnit report read with an XML parser: its test cases by outcome.
struct JUnitCases {
    var names: [String] = []
    var failures: [String] = []
    var skipped: [String] = []

    init(_ xml: String) throws {
        let document = try XMLDocument(xmlString: xml)
        let cases = try document.nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }
        for element in cases {
            let name = element.attribute(forName: "name")?.stringValue ?? ""
            names.append(name)
            if !element.elements(forName: "failure").isEmpty { failures.append(name) }
            if !element.elements(forName: "skipped").isEmpty { skipped.append(name) }
        }
    }
}
