/// Every SQL text the SQLite store runs, in one place, so that the PostgreSQL
/// store (issue #10) has one file to mirror.
///
/// Times are integer microseconds since 1970-01-01 UTC. Log levels are stored
/// as their rank (0 debug ... 4 critical) so that `level >= ?` filters; streams
/// as 0 stdout, 1 stderr, 2 jcrun, 3 log (`@log`, schema 6 on). The schema
/// version is `PRAGMA user_version`;
/// `application_id` and the `meta` row mark the file as jcrun's.
enum SQLiteSQL {
    /// `PRAGMA application_id`: "jcrn" in ASCII.
    static let applicationID: Int64 = 0x6A63_726E

    /// Migrations in order: `migrations[n - 1]` takes the schema from n - 1 to n.
    /// Each runs in the one transaction that also sets `user_version`.
    static let migrations: [String] = [
        migration1, migration2, migrationAliveAt, migrationLogChunks, migrationNoJobStatusIndex,
        migrationLogStream,
    ]

    /// The migration after which `SQLiteLogMigration` converts the old
    /// per-line rows into chunks (its index in `migrations`).
    static let logChunksStep = 3

    static var schemaVersion: Int { migrations.count }

    /// Schema 6: log chunks may hold stream code 3, `@log` entries (before,
    /// they were stored as jcrun, and stay so). Nothing in the file changes;
    /// the version makes an older jcrun, whose decoder knows codes 0-2 only,
    /// refuse the store as newer instead of failing on a chunk.
    private static let migrationLogStream = """
        SELECT 1;
        """

    /// A running build's heartbeat: when its runner last said it was alive
    /// (`BuildRecorder`), so that a build whose runner died ends then.
    private static let migrationAliveAt = """
        ALTER TABLE builds ADD COLUMN alive_at INTEGER;
        """

    /// Drops `builds_by_job_status` (issues #4, #5): each build wrote a page
    /// of it twice (created, finished), about 10 µs of a 1,000-job run's
    /// per-job cost. `job_summary` answers the job states it was made for;
    /// a job's builds of one status are found through `builds_by_job`,
    /// which `builds(job:status:...)` names: a walk of that job's builds at
    /// most. The triggers' rare recounts (a deleted latest success) walk
    /// `builds_by_status` or `builds_by_job` instead.
    private static let migrationNoJobStatusIndex = """
        DROP INDEX IF EXISTS builds_by_job_status;
        """

    /// The log as chunks of lines (`LogChunk`), one row per up to 64 KiB of
    /// a build's consecutive lines instead of one row per line (issue #4).
    /// The old rows move to `log_v3`; `SQLiteLogMigration` encodes them into
    /// `log` and drops `log_v3` in the same transaction.
    private static let migrationLogChunks = """
        ALTER TABLE log RENAME TO log_v3;

        -- No foreign key (see migration 1). A rowid table, since the chunks
        -- are large; the primary key's index finds a build's chunks in order.
        CREATE TABLE log (
            build     INTEGER NOT NULL,
            first_seq INTEGER NOT NULL,
            last_seq  INTEGER NOT NULL,
            lines     INTEGER NOT NULL,
            min_at    INTEGER NOT NULL,
            max_at    INTEGER NOT NULL,
            levels    INTEGER NOT NULL,
            streams   INTEGER NOT NULL,
            data      BLOB NOT NULL,
            PRIMARY KEY (build, first_seq)
        );
        """

    private static let migration1 = """
        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        INSERT INTO meta (key, value) VALUES ('application', 'jcrun');

        CREATE TABLE builds (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            job             TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN
                                ('created', 'running', 'successful', 'skipped', 'failed')),
            failure_kind    TEXT,
            exit_code       INTEGER,
            signal          TEXT,
            error           TEXT,
            retval          TEXT,
            attempt         INTEGER NOT NULL DEFAULT 1,
            reason          TEXT NOT NULL DEFAULT '',
            triggered_by    TEXT NOT NULL DEFAULT '',
            config_hash     TEXT NOT NULL DEFAULT '',
            config_snapshot TEXT NOT NULL DEFAULT '{}',
            created_at      INTEGER NOT NULL,
            started_at      INTEGER,
            finished_at     INTEGER,
            runner_host     TEXT,
            runner_pid      INTEGER,
            runner_start    INTEGER,
            process_group   INTEGER
        );
        CREATE INDEX builds_by_job ON builds (job, id);
        CREATE INDEX builds_by_job_status ON builds (job, status, id);
        CREATE INDEX builds_by_status ON builds (status, id);
        CREATE INDEX builds_by_created ON builds (created_at);

        CREATE TABLE build_inputs (
            build      INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
            dependency TEXT NOT NULL,
            consumed   INTEGER NOT NULL,
            retval     TEXT,
            pinned     INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (build, dependency)
        );
        CREATE INDEX build_inputs_by_consumed ON build_inputs (consumed, build);

        CREATE TABLE progress (
            build      INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
            group_path TEXT NOT NULL,
            done       INTEGER NOT NULL,
            total      INTEGER,
            status     TEXT,
            updated_at INTEGER NOT NULL,
            UNIQUE (build, group_path)
        );

        -- No foreign key: checking one costs a lookup per line, and lines are
        -- the hot path. Deleting a build deletes its lines (deleteLogOf).
        CREATE TABLE log (
            build     INTEGER NOT NULL,
            seq       INTEGER NOT NULL,
            logged_at INTEGER NOT NULL,
            stream    INTEGER NOT NULL,
            level     INTEGER NOT NULL,
            text      TEXT NOT NULL,
            raw       BLOB,
            continued INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (build, seq)
        ) WITHOUT ROWID;
        """

    /// `job_summary`: per job, the ids `jobStates` needs, kept exact by
    /// triggers in the transaction of every insert, status change and delete
    /// of a build (create, start, finish, reap, delete, prune), so that
    /// reading a job's state is one primary-key probe instead of scanning
    /// its builds. `active` counts its created and running builds.
    private static let migration2 = """
        CREATE TABLE job_summary (
            job               TEXT PRIMARY KEY,
            latest            INTEGER NOT NULL,
            latest_successful INTEGER,
            last_check        INTEGER,
            active            INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;

        INSERT INTO job_summary (job, latest, latest_successful, last_check, active)
        SELECT job, max(id),
               max(CASE WHEN status = 'successful' THEN id END),
               max(CASE WHEN status IN ('successful', 'skipped') THEN id END),
               sum(status IN ('created', 'running'))
        FROM builds GROUP BY job;

        CREATE TRIGGER job_summary_insert AFTER INSERT ON builds BEGIN
            INSERT INTO job_summary (job, latest, latest_successful, last_check, active)
            VALUES (new.job, new.id,
                    CASE WHEN new.status = 'successful' THEN new.id END,
                    CASE WHEN new.status IN ('successful', 'skipped') THEN new.id END,
                    new.status IN ('created', 'running'))
            ON CONFLICT (job) DO UPDATE SET
                latest = max(latest, excluded.latest),
                latest_successful = CASE
                    WHEN excluded.latest_successful > coalesce(latest_successful, 0)
                    THEN excluded.latest_successful ELSE latest_successful END,
                last_check = CASE
                    WHEN excluded.last_check > coalesce(last_check, 0)
                    THEN excluded.last_check ELSE last_check END,
                active = active + excluded.active;
        END;

        -- A finished build never changes status through the store; a change
        -- away from a counted status is still recounted, so the table stays exact.
        CREATE TRIGGER job_summary_status AFTER UPDATE OF status ON builds
        WHEN old.status IS NOT new.status BEGIN
            UPDATE job_summary SET
                active = active - (old.status IN ('created', 'running'))
                                + (new.status IN ('created', 'running')),
                latest_successful = CASE
                    WHEN old.status = 'successful' THEN (SELECT max(id) FROM builds
                        WHERE job = new.job AND status = 'successful')
                    WHEN new.status = 'successful' AND new.id > coalesce(latest_successful, 0)
                    THEN new.id ELSE latest_successful END,
                last_check = CASE
                    WHEN old.status IN ('successful', 'skipped') THEN (SELECT max(id) FROM builds
                        WHERE job = new.job AND status IN ('successful', 'skipped'))
                    WHEN new.status IN ('successful', 'skipped')
                         AND new.id > coalesce(last_check, 0)
                    THEN new.id ELSE last_check END
            WHERE job = new.job;
        END;

        CREATE TRIGGER job_summary_delete AFTER DELETE ON builds BEGIN
            UPDATE job_summary SET
                active = active - (old.status IN ('created', 'running')),
                latest = CASE WHEN latest = old.id
                    THEN coalesce((SELECT max(id) FROM builds WHERE job = old.job), 0)
                    ELSE latest END,
                latest_successful = CASE WHEN latest_successful = old.id
                    THEN (SELECT max(id) FROM builds WHERE job = old.job AND status = 'successful')
                    ELSE latest_successful END,
                last_check = CASE WHEN last_check = old.id
                    THEN (SELECT max(id) FROM builds
                          WHERE job = old.job AND status IN ('successful', 'skipped'))
                    ELSE last_check END
            WHERE job = old.job;
            DELETE FROM job_summary WHERE job = old.job AND latest = 0;
        END;

        -- Builds belong to their job for good: moving one would need two rows fixed.
        CREATE TRIGGER builds_job_is_fixed BEFORE UPDATE OF job ON builds
        WHEN old.job IS NOT new.job BEGIN
            SELECT RAISE(ABORT, 'a build never changes its job');
        END;
        """

    // MARK: Opening

    static let tableCount = "SELECT count(*) FROM sqlite_master"
    static let userVersion = "PRAGMA user_version"
    static let readApplicationID = "PRAGMA application_id"
    static let application = "SELECT value FROM meta WHERE key = 'application'"
    static let hasMeta = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    static let connectionSettings = """
        PRAGMA synchronous = NORMAL;
        PRAGMA foreign_keys = ON;
        PRAGMA cache_size = -16000;
        """
    /// Read-only connections map the file: the listings' reads of a large
    /// store (a million builds) use the page cache's pages instead of copying
    /// each with `pread`. Writers keep `pread`: their gain was not measured.
    static let readOnlySettings = "PRAGMA mmap_size = 1073741824"
    static let dropEverything = """
        DROP TABLE IF EXISTS job_summary;
        DROP TABLE IF EXISTS log;
        DROP TABLE IF EXISTS log_v3;
        DROP TABLE IF EXISTS progress;
        DROP TABLE IF EXISTS build_inputs;
        DROP TABLE IF EXISTS builds;
        DROP TABLE IF EXISTS meta;
        DELETE FROM sqlite_sequence;
        PRAGMA user_version = 0;
        PRAGMA application_id = 0;
        """

    // MARK: Builds

    /// The columns `BuildRow` decodes, in its order.
    static let buildColumns = """
        id, job, status, failure_kind, exit_code, signal, error, retval, attempt, reason,
        triggered_by, config_hash, config_snapshot, created_at, started_at, finished_at,
        runner_host, runner_pid, runner_start, process_group
        """

    /// A build created `running` gets its runner in the same row (?10-?12).
    /// Only the id comes back: the store makes the record from what it
    /// bound (decoding the twenty columns cost more than the insert's lookups).
    /// ?13 is a reserved id (`reserveBuildID`), NULL for the next one;
    /// ?14 the process group of a build stored once its process started.
    static let insertBuild = """
        INSERT INTO builds (job, status, attempt, reason, triggered_by, config_hash,
                            config_snapshot, created_at, started_at,
                            runner_host, runner_pid, runner_start, id, process_group)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
        RETURNING id
        """
    /// Reserves the id after every id handed out: `AUTOINCREMENT` never
    /// gives an id at or below `seq`, and another reservation takes the next.
    static let reserveBuildID = """
        UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(id), 0) FROM builds)) + 1
        WHERE name = 'builds' RETURNING seq
        """
    static let buildSequence = "SELECT seq FROM sqlite_sequence WHERE name = 'builds'"
    /// Gives back reserved id ?1 when it is still the newest handed out.
    static let releaseBuildID = """
        UPDATE sqlite_sequence SET seq = ?1 - 1
        WHERE name = 'builds' AND seq = ?1 AND (SELECT coalesce(max(id), 0) FROM builds) < ?1
        """
    static let insertInput = """
        INSERT INTO build_inputs (build, dependency, consumed, retval, pinned)
        VALUES (?1, ?2, ?3, ?4, ?5)
        """
    static let markStarted = """
        UPDATE builds SET status = 'running', started_at = coalesce(started_at, ?2),
               runner_host = ?3, runner_pid = ?4, runner_start = ?5, process_group = ?6
        WHERE id = ?1 AND status IN ('created', 'running')
        """
    /// `markStarted` of a build already running: the same change without
    /// naming `status`, so that SQLite leaves the two indexes holding it
    /// alone (one page written instead of three).
    static let updateRunner = """
        UPDATE builds SET started_at = coalesce(started_at, ?2),
               runner_host = ?3, runner_pid = ?4, runner_start = ?5, process_group = ?6
        WHERE id = ?1 AND status = 'running'
        """
    static let finishBuild = """
        UPDATE builds SET status = ?2, failure_kind = ?3, exit_code = ?4, signal = ?5,
               error = ?6, retval = ?7, finished_at = ?8, started_at = coalesce(started_at, ?8)
        WHERE id = ?1 AND status IN ('created', 'running')
        """
    static let buildStatus = "SELECT status FROM builds WHERE id = ?1"
    static let buildByID = "SELECT \(buildColumns) FROM builds WHERE id = ?1"
    /// A job's newest build that ended (`JobState.latestFinished`), read only
    /// while one of its builds is unfinished: a walk back on `builds_by_job`.
    static let latestFinishedOf = """
        SELECT \(buildColumns) FROM builds
        WHERE job = ?1 AND status NOT IN ('created', 'running') ORDER BY id DESC LIMIT 1
        """
    static let deleteBuild = "DELETE FROM builds WHERE id = ?1"
    static let deleteLogOf = "DELETE FROM log WHERE build = ?1"
    static let runningBuilds = """
        SELECT \(buildColumns) FROM builds WHERE status = 'running' AND runner_host = ?1
        """
    /// The last moment build ?1 was known alive: its start, its last log
    /// line, its last progress update, its last heartbeat (µs).
    static let lastSeen = """
        SELECT max(coalesce(started_at, created_at),
                   coalesce((SELECT max_at FROM log WHERE build = ?1 ORDER BY first_seq DESC LIMIT 1), 0),
                   coalesce((SELECT max(updated_at) FROM progress WHERE build = ?1), 0),
                   coalesce(alive_at, 0))
        FROM builds WHERE id = ?1
        """
    static let markAlive = "UPDATE builds SET alive_at = ?2 WHERE id = ?1 AND status = 'running'"

    /// `builds(query)`: only the filters that are set appear, so that each
    /// variant uses its index (`job = ?` behind an `OR ? IS NULL` would not).
    static func builds(job: Bool, status: Bool, since: Bool, newestFirst: Bool) -> String {
        var conditions: [String] = []
        if job { conditions.append("job = ?1") }
        if status { conditions.append("status = ?2") }
        if since { conditions.append("created_at >= ?3") }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let order = newestFirst ? "DESC" : "ASC"
        // A job's builds through its index, whatever else filters them.
        let table = job ? "builds INDEXED BY builds_by_job" : "builds"
        return "SELECT \(buildColumns) FROM \(table)\(filter) ORDER BY id \(order) LIMIT ?4 OFFSET ?5"
    }

    // MARK: Job states

    /// Latest build, latest successful build, newest successful-or-skipped
    /// build, and whether one is created or running, for the job `?1`.
    static let jobStateIDs = """
        SELECT latest, latest_successful, last_check, active > 0
        FROM job_summary WHERE job = ?1
        """
    /// Every job's summary with the builds it names, one row per job in id
    /// order: `job`, running, latest successful id, last check id, then the
    /// latest build's `buildColumns`, the latest successful's and the last
    /// check's (NULL where the build is one already on the row). One walk
    /// of the summary and a rowid probe per distinct build, for `jobStates`
    /// of many jobs.
    static let everyJobState = """
        SELECT s.job, s.active > 0, s.latest_successful, s.last_check,
               \(buildColumns(of: "l")), \(buildColumns(of: "ls")), \(buildColumns(of: "lc"))
        FROM job_summary AS s
        JOIN builds AS l ON l.id = s.latest
        LEFT JOIN builds AS ls ON ls.id = s.latest_successful AND ls.id <> s.latest
        LEFT JOIN builds AS lc ON lc.id = s.last_check
            AND lc.id <> s.latest AND lc.id <> s.latest_successful
        ORDER BY s.job
        """
    /// `buildColumns`, each prefixed with `table.`.
    static func buildColumns(of table: String) -> String {
        buildColumns.split(separator: ",")
            .map { table + "." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .joined(separator: ", ")
    }
    /// The inputs of every job's last check, for `everyJobState`.
    static let everyLastCheckInputs = """
        SELECT i.build, i.dependency, i.consumed, i.retval, i.pinned
        FROM job_summary AS s JOIN build_inputs AS i ON i.build = s.last_check
        WHERE s.latest_successful IS NOT NULL ORDER BY i.build, i.dependency
        """
    /// What `job_summary` must hold, worked out from the builds (tests).
    static let recomputedSummary = """
        SELECT job, max(id),
               max(CASE WHEN status = 'successful' THEN id END),
               max(CASE WHEN status IN ('successful', 'skipped') THEN id END),
               sum(status IN ('created', 'running'))
        FROM builds GROUP BY job ORDER BY job
        """
    static let storedSummary = """
        SELECT job, latest, latest_successful, last_check, active FROM job_summary ORDER BY job
        """

    // MARK: Lineage

    static let inputsOf = """
        SELECT build, dependency, consumed, retval, pinned FROM build_inputs
        WHERE build = ?1 ORDER BY dependency
        """
    static let consumersOf = """
        SELECT build, dependency, consumed, retval, pinned FROM build_inputs
        WHERE consumed = ?1 ORDER BY build
        """

    // MARK: Logs and progress

    static let insertLogChunk = """
        INSERT INTO log (build, first_seq, last_seq, lines, min_at, max_at, levels, streams, data)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
        """
    /// The last seq stored for build ?1 (new chunks must start above it).
    static let lastLogSeq = "SELECT last_seq FROM log WHERE build = ?1 ORDER BY first_seq DESC LIMIT 1"

    /// `logs(query)`: the chunks that may hold a wanted line, in seq order;
    /// unset filters are NULL and drop out. The chunk holding seq ?2 + 1 is
    /// the last one starting at or before ?2, so the range stays on the
    /// primary key. `LogSelection` checks each line.
    static func logs(descending: Bool) -> String {
        """
        SELECT data FROM log
        WHERE build = ?1
          AND first_seq >= coalesce(
              (SELECT max(first_seq) FROM log WHERE build = ?1 AND first_seq <= ?2), 0)
          AND last_seq > ?2
          AND (?3 IS NULL OR levels >= (1 << ?3)) AND (?4 IS NULL OR streams & (1 << ?4) != 0)
          AND (?5 IS NULL OR max_at >= ?5) AND (?6 IS NULL OR min_at < ?6)
        ORDER BY first_seq \(descending ? "DESC" : "ASC")
        """
    }

    static let upsertProgress = """
        INSERT INTO progress (build, group_path, done, total, status, updated_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        ON CONFLICT (build, group_path) DO UPDATE SET
            done = excluded.done, total = excluded.total, status = excluded.status,
            updated_at = excluded.updated_at
        """
    static let progressOf = """
        SELECT build, group_path, done, total, status, updated_at FROM progress
        WHERE build = ?1 ORDER BY rowid
        """

    // MARK: Pruning

    /// Fills `temp.prune_set` with the finished builds created before `?1`
    /// (of job `?2` when set) that are not protected: the newest `?3` per job,
    /// each job's latest build, latest successful build and last check.
    static let pruneCandidates = """
        CREATE TEMP TABLE IF NOT EXISTS prune_set (id INTEGER PRIMARY KEY);
        DELETE FROM temp.prune_set;
        """
    static let fillPruneSet = """
        INSERT INTO temp.prune_set (id)
        SELECT id FROM (
            SELECT id, job, status, created_at,
                   row_number() OVER (PARTITION BY job ORDER BY id DESC) AS newness,
                   max(CASE WHEN status = 'successful' THEN id END)
                       OVER (PARTITION BY job) AS latest_successful,
                   max(CASE WHEN status IN ('successful', 'skipped') THEN id END)
                       OVER (PARTITION BY job) AS last_check
            FROM builds WHERE ?2 IS NULL OR job = ?2
        )
        WHERE created_at < ?1 AND status IN ('successful', 'skipped', 'failed')
          AND newness > max(?3, 1)
          AND id IS NOT coalesce(latest_successful, -1)
          AND NOT (latest_successful IS NOT NULL AND id = last_check)
        """
    /// Drops from the prune set every build that a kept build consumed;
    /// repeated until nothing changes (a chain of consumers).
    static let keepConsumed = """
        DELETE FROM temp.prune_set WHERE id IN (
            SELECT i.consumed FROM build_inputs AS i
            WHERE i.consumed IN temp.prune_set AND i.build NOT IN temp.prune_set)
        """
    /// Drops from the prune set the builds of the jobs in JSON array ?1.
    static let spareJobs = """
        DELETE FROM temp.prune_set
        WHERE id IN (SELECT id FROM builds WHERE job IN (SELECT value FROM json_each(?1)))
        """
    static let prunedJobs = """
        SELECT DISTINCT job FROM builds WHERE id IN temp.prune_set
        """
    /// The prune set's builds of the jobs in JSON array ?1.
    static let prunedIDsOf = """
        SELECT p.id FROM temp.prune_set AS p JOIN builds AS b ON b.id = p.id
        WHERE b.job IN (SELECT value FROM json_each(?1)) ORDER BY p.id
        """
    static let deletePruned = "DELETE FROM builds WHERE id IN temp.prune_set"
    static let countPrunedBuildsLogLines = """
        SELECT coalesce(sum(lines), 0) FROM log WHERE build IN temp.prune_set
        """
    static let deletePrunedBuildsLogs = "DELETE FROM log WHERE build IN temp.prune_set"
    /// Chunks of pruned builds whose every line is at level ?1 or below
    /// (any level when NULL): counted, then deleted whole.
    static let countPrunedLogLines = """
        SELECT coalesce(sum(lines), 0) FROM log
        WHERE build IN temp.prune_set AND (?1 IS NULL OR levels < (2 << ?1))
        """
    static let deletePrunedLogs = """
        DELETE FROM log WHERE build IN temp.prune_set AND (?1 IS NULL OR levels < (2 << ?1))
        """
    /// Chunks of pruned builds with some lines at level ?1 or below among
    /// others: `prune` rewrites them without those lines.
    static let mixedPrunedLogChunks = """
        SELECT build, first_seq, levels, data FROM log
        WHERE build IN temp.prune_set AND levels & ((2 << ?1) - 1) != 0
        ORDER BY build, first_seq
        """
    static let deleteLogChunk = "DELETE FROM log WHERE build = ?1 AND first_seq = ?2"
}
