import Foundation

/// The JSON behind the pages (`/api/...`): every object carries `"v": 1`,
/// names are snake_case, times RFC 3339 UTC; builds use `BuildJSON.build`,
/// the same form as `--json`.
enum WebAPI {
    /// At most this many log entries per `/api/builds/N/log` call.
    static let logPage = 5000

    /// A job with its status, latest build and why it is outdated.
    static func job(_ job: Job, status: WebJobStatus, graph: JobGraph) -> JSONText {
        var object = JSONText.versioned()
        object.field("id", job.id)
        object.field("title", job.title)
        object.field("status", status.label(job.id).rawValue)
        object.field("protected", job.protect)
        object.field("outdated_reason", status.outdated[job.id])
        object.field("dependencies", strings: job.dependencies)
        object.field("dependents", strings: graph.dependents(of: job.id))
        object.field(
            "last_build",
            raw: status.states[job.id]?.latest.map { BuildJSON.build($0).string } ?? "null")
        return object
    }

    static func jobs(_ jobs: JobSet, status: WebJobStatus) -> String {
        let graph = JobGraph(jobs)
        var object = JSONText.versioned()
        object.field("jobs", objects: jobs.jobs.map { job($0, status: status, graph: graph) })
        return object.string
    }

    /// One job, with its definition (secrets appear as `{"!secret": NAME}`) and newest builds.
    static func jobDetail(_ job: Job, status: WebJobStatus, graph: JobGraph, builds: [BuildRecord])
        -> String
    {
        var object = self.job(job, status: status, graph: graph)
        object.field("source", job.source.description)
        object.field("definition", raw: job.snapshotJSON())
        object.field("builds", objects: builds.map { BuildJSON.build($0) })
        return object.string
    }

    static func builds(_ builds: [BuildRecord]) -> String {
        var object = JSONText.versioned()
        object.field("builds", objects: builds.map { BuildJSON.build($0) })
        return object.string
    }

    /// A build with its lineage both ways.
    static func build(_ build: BuildRecord, inputs: [BuildInput], consumers: [BuildInput]) -> String
    {
        var object = BuildJSON.build(build)
        object.field("inputs", objects: inputs.map(input))
        object.field("consumers", objects: consumers.map(input))
        return object.string
    }

    private static func input(_ input: BuildInput) -> JSONText {
        var object = JSONText.versioned()
        object.field("build", input.build)
        object.field("dependency", input.dependency)
        object.field("consumed", input.consumed)
        object.field("retval", input.retval)
        object.field("pinned", input.pinned)
        return object
    }

    /// Log entries after a sequence number; `more` says another call would return more.
    /// `last_seq` is the last entry's seq, or `after` when there is none, so
    /// that a client polling with `after=last_seq` never sends `after=null`.
    static func log(_ build: BuildRecord, entries: [LogEntry], more: Bool, after: Int64) -> String {
        var object = JSONText.versioned()
        object.field("build", build.id)
        object.field("status", build.status.rawValue)
        object.field("finished", build.status.isFinished)
        object.field("last_seq", entries.last?.seq ?? after)
        object.field("more", more)
        object.field("entries", objects: entries.map { BuildJSON.logEntry($0) })
        return object.string
    }

    /// `{"v":1,"error":"..."}` with its status code.
    static func error(_ message: String, status: Int) -> WebResponse {
        var object = JSONText.versioned()
        object.field("error", message)
        return .json(object.string, status: status)
    }

    /// Whether `path` is an endpoint of the JSON API, whose every answer,
    /// errors included, is JSON.
    static func isAPI(_ path: String) -> Bool { path == "/api" || path.hasPrefix("/api/") }

    /// A plain-text refusal (`WebResponse.text`) as the API's JSON error,
    /// with the same status and headers (`Allow`, ...); other answers as they are.
    static func asJSON(_ response: WebResponse) -> WebResponse {
        guard response.contentType.hasPrefix("text/plain"), response.status >= 400 else {
            return response
        }
        var message = response.text
        if message.hasSuffix("\n") { message.removeLast() }
        var json = error(message, status: response.status)
        json.headers = response.headers
        return json
    }
}
