import Foundation
import Testing

@testable import JobControl

/// A secret's value that reaches a job's text through `{{ env.X }}` or
/// `!env X` is masked in snapshots and displays, and still outdates the job.
@Suite struct ConfigSecretMaskingTests {
    static let settings = "secrets:\n  tok: {env: TOKEN_VAR}\n  key: \"line-one\\nline-two\\n\"\n"
    static let jobFile = """
        jobs:
          - id: x
            title: uses {{ env.TOKEN_VAR }}
            command: echo {{ env.TOKEN_VAR }} && echo line-two
            args: ["{{ env.TOKEN_VAR }}"]
            env:
              COPY: !env TOKEN_VAR
              NAMED: !secret tok

        """

    func load(token: String) throws -> Job {
        let project = try TempProject(["jcrun.yaml": Self.settings, "jobs.d/a.yaml": Self.jobFile])
        defer { try? FileManager.default.removeItem(at: project.dir) }
        var environment = TempProject.environment
        environment["TOKEN_VAR"] = token
        let set = try ProjectLoader.load(
            projectDir: project.dir, jobsDir: project.dir.appendingPathComponent("jobs.d"),
            environment: environment, displayBase: project.dir)
        return try #require(set["x"])
    }

    @Test func snapshotsMaskEverySecretValue() throws {
        let job = try load(token: "s3cr3t-token")
        // The job runs with the real value.
        #expect(job.command == .shell("echo s3cr3t-token && echo line-two"))
        let snapshot = job.snapshotJSON()
        #expect(!snapshot.contains("s3cr3t"))
        #expect(!snapshot.contains("line-two"))
        #expect(snapshot.contains("\"command\":{\"shell\":\"echo *** && echo ***\"}"))
        #expect(snapshot.contains("\"args\":[\"***\"]"))
        #expect(snapshot.contains("\"env\":{\"COPY\":\"***\",\"NAMED\":{\"!secret\":\"tok\"}}"))
        #expect(snapshot.contains("\"title\":\"uses ***\""))
        let shown = job.displayed
        #expect(shown.command == .shell("echo *** && echo ***"))
        #expect(shown.env[0].value == .text("***"))
        #expect(shown.title == "uses ***")
    }

    @Test func aChangedSecretValueStillOutdatesTheJob() throws {
        let before = try load(token: "s3cr3t-token")
        let after = try load(token: "other-token")
        #expect(before.definitionHash != after.definitionHash)
        // Both snapshots are the same masked text.
        #expect(before.snapshotJSON() == after.snapshotJSON())
    }

    @Test func renderingAFileForDisplayMasksSecrets() throws {
        let project = try TempProject(["jcrun.yaml": Self.settings, "jobs.d/a.yaml": Self.jobFile])
        defer { try? FileManager.default.removeItem(at: project.dir) }
        let text = try ProjectLoader.render(
            file: "a.yaml", projectDir: project.dir,
            jobsDir: project.dir.appendingPathComponent("jobs.d"),
            environment: TempProject.environment, displayBase: project.dir)
        #expect(text.contains("command: echo *** && echo ***"))
        #expect(!text.contains("s3cr3t"))
    }

    @Test func aJobWithoutSecretsIsUnchanged() {
        let job = Job(id: "x", command: .shell("echo s3cr3t"))
        #expect(job.displayed == job)
        #expect(job.snapshotJSON().contains("echo s3cr3t"))
    }
}
