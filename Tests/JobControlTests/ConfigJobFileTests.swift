import Foundation
import Testing

@testable import JobControl

/// What a job file may hold besides `jobs:`, and how odd files are reported.
@Suite struct ConfigJobFileTests {
    func load(_ files: [String: String]) throws -> JobSet { try TempProject(files).load() }

    func errors(_ files: [String: String]) throws -> [String] {
        try TempProject(files).errorLines()
    }

    @Test func xKeysHoldAnchorsForTheJobs() throws {
        let set = try load([
            "jobs.d/a.yaml": """
                x-common: &common
                  retries: 2
                  env: {REGION: eu}
                x-unused: [anything, {at: all}]
                jobs:
                  - <<: *common
                    id: a
                    command: run a
                  - <<: *common
                    id: b
                    command: run b

                """
        ])
        #expect(set.jobs.map(\.id) == ["a", "b"])
        #expect(set["b"]?.retries == 2)
        #expect(set["b"]?.env.map(\.value) == [.text("eu")])
    }

    @Test func otherTopLevelKeysAreRefusedWithAHint() throws {
        #expect(
            try errors(["jobs.d/a.yaml": "common: &c {retries: 1}\njobs: []\n"]) == [
                "jcrun: error: jobs.d/a.yaml:1:1: unknown key 'common' in a job file",
                "hint: a job file holds 'jobs:' and keys starting with 'x-' for YAML anchors",
            ])
    }
}
