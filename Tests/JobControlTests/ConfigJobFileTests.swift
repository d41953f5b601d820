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

    /// A file switched off by its template, or holding only comments,
    /// defines no jobs (as `jobs:` alone does); a blank file is an error.
    @Test func aFileThatRendersToNothingDefinesNoJobs() throws {
        let set = try load([
            "jobs.d/a.yaml": "jobs:\n  - id: a\n    command: run\n",
            "jobs.d/off.yaml": "{% if false %}\njobs:\n  - id: b\n    command: run\n{% endif %}\n",
            "jobs.d/notes.yaml": "# nothing here yet\n{# nor here #}\n",
        ])
        #expect(set.jobs.map(\.id) == ["a"])
        #expect(
            try errors(["jobs.d/a.yaml": "jobs: []\n", "jobs.d/blank.yaml": " \n\n"]) == [
                "jcrun: error: jobs.d/blank.yaml:1:1: the file is empty; expected a top-level 'jobs:' list"
            ])
    }

    @Test func otherTopLevelKeysAreRefusedWithAHint() throws {
        #expect(
            try errors(["jobs.d/a.yaml": "common: &c {retries: 1}\njobs: []\n"]) == [
                "jcrun: error: jobs.d/a.yaml:1:1: unknown key 'common' in a job file;"
                    + " a job file holds 'jobs:' and keys starting with 'x-' for YAML anchors",
            ])
    }

    @Test func aMissingJobsFolderIsSaidPlainly() throws {
        let project = try TempProject([:])
        defer { try? FileManager.default.removeItem(at: project.dir) }
        let missing = project.dir.appendingPathComponent("nonexistent")
        do {
            _ = try ProjectLoader.load(
                projectDir: project.dir, jobsDir: missing, environment: [:],
                displayBase: project.dir)
            Issue.record("loaded a missing jobs folder")
        } catch let errors as ConfigErrors {
            #expect(errors.formatted() == ["jcrun: error: jobs folder 'nonexistent' does not exist"])
        }
    }

    @Test func aBrokenSecretIsReportedOnceNotPerUse() throws {
        let lines = try errors([
            "jcrun.yaml": "secrets:\n  tok: {file: missing-token}\n  short: abc\n",
            "jobs.d/a.yaml": "jobs:\n  - id: a\n    command: run\n    env: {T: !secret tok, S: !secret short}\n",
        ])
        #expect(
            lines == [
                "jcrun: error: jcrun.yaml:2:15: secret 'tok': cannot read file 'missing-token': no such file",
                "jcrun: error: jcrun.yaml:3:3: secret 'short' is shorter than 4 characters, too short to mask safely",
            ])
    }

    @Test func aFolderNamedLikeAJobFileIsReported() throws {
        let project = try TempProject(["jobs.d/a.yaml": "jobs: []\n"])
        try FileManager.default.createDirectory(
            at: project.dir.appendingPathComponent("jobs.d/x.yaml"),
            withIntermediateDirectories: true)
        #expect(project.errorLines() == ["jcrun: error: jobs.d/x.yaml: is a directory, not a job file"])
    }

    @Test func aByteOrderMarkIsIgnored() throws {
        let bom = "\u{FEFF}"
        let set = try load([
            "jcrun.yaml": bom + "vars: {word: hi}\n",
            "jobs.d/a.yaml": bom + "jobs:\n  - id: a\n    command: echo {{ word }}\n",
        ])
        #expect(set["a"]?.command == .shell("echo hi"))
    }
}
