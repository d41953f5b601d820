/// The SQL of the build queue (`--queue`, `jcrun worker`) on PostgreSQL.
///
/// A queued build is a `builds` row with status `created` plus a `queue`
/// row (the tags a worker needs, retries, the lease of the worker running
/// it) and one `queue_edges` row per dependency in the same plan. It is
/// ready when every build it depends on is successful or skipped. Workers
/// claim ready builds with `FOR UPDATE SKIP LOCKED` and hold them under a
/// lease timed by the server's clock. `jcrun_queue` is notified whenever a
/// build may have become ready.
enum PostgresQueueSQL {
    /// The advisory lock key that serialises enqueueing ("jcrq").
    static let enqueueLock: Int64 = 0x6A63_7271
    /// The channel workers listen on.
    static let channel = "jcrun_queue"

    static let migration2 = """
        CREATE TABLE queue (
            build         bigint PRIMARY KEY REFERENCES builds (id) ON DELETE CASCADE,
            tags          text[] NOT NULL DEFAULT '{}',
            retries       integer NOT NULL DEFAULT 0,
            retry_delay   bigint NOT NULL DEFAULT 0,
            not_before    bigint NOT NULL DEFAULT 0,
            retry_of      bigint,
            lease_owner   text,
            lease_expires bigint,
            waiting       boolean NOT NULL DEFAULT true
        );
        -- The builds not yet claimed (nor failed before they ran): what a
        -- claim scans, however many finished builds the queue keeps.
        CREATE INDEX queue_waiting ON queue (build) WHERE waiting;
        CREATE INDEX queue_by_retry_of ON queue (retry_of);
        CREATE INDEX queue_by_lease ON queue (lease_expires) WHERE lease_expires IS NOT NULL;

        CREATE TABLE queue_edges (
            build      bigint NOT NULL REFERENCES queue (build) ON DELETE CASCADE,
            depends_on bigint NOT NULL,
            PRIMARY KEY (build, depends_on)
        );
        CREATE INDEX queue_edges_by_dependency ON queue_edges (depends_on);
        """

    /// When a worker claimed each queued build (its clock, µs): with
    /// `builds.started_at`, set when the build's process runs, the
    /// claim-to-start latency of every build (bench W11). The `--pin`
    /// choices of each queued build (`{"dep": build}`). And the heartbeat
    /// of builds run outside the queue (`markAlive`, as SQLite's `alive_at`):
    /// a reaped local run ends when it was last known alive.
    static let migration3 = """
        ALTER TABLE queue ADD COLUMN claimed_at bigint;
        ALTER TABLE queue ADD COLUMN pins jsonb NOT NULL DEFAULT '{}';
        ALTER TABLE builds ADD COLUMN alive_at bigint;
        """

    /// The condition of a queued build whose only reasons are dependencies
    /// rebuilt in its plan (`PlannedBuild.condition`): NULL for a build
    /// that runs in any case; else a JSON object naming, for each
    /// dependency with `early_cutoff`, the value the job last consumed
    /// (`null` for none). When the build is ready, it runs only when one
    /// of the builds it waits for ended successful with another value (a
    /// dependency not named: any successful build); otherwise it is up to
    /// date and the claim deletes it, as a local run never creates it.
    /// The partial index holds only conditional builds not yet claimed.
    static let migration5 = """
        ALTER TABLE queue ADD COLUMN condition jsonb;
        CREATE INDEX queue_conditional ON queue (build) WHERE waiting AND condition IS NOT NULL;
        """

    /// The workers running now, each with its tags (`jcrun worker`
    /// announces itself at its start and at each lease round, and leaves at
    /// its end): `--wait` says when no live worker could claim a build.
    /// A worker killed stays until `expires_at` (the server's clock, µs).
    static let migration7 = """
        CREATE TABLE workers (
            owner      text PRIMARY KEY,
            host       text NOT NULL,
            pid        integer NOT NULL,
            tags       text[] NOT NULL DEFAULT '{}',
            slots      integer NOT NULL,
            expires_at bigint NOT NULL
        );
        """

    static let takeEnqueueLock = "SELECT pg_advisory_xact_lock(\(enqueueLock))"
    static let notify = "SELECT pg_notify('\(channel)', '')"
    static let listen = "LISTEN \(channel)"

    // MARK: Enqueueing

    /// The newest queued build of job `$1` that has not finished: a second
    /// `--queue` of the same job joins it instead of building again.
    static let activeQueuedBuilds = """
        SELECT DISTINCT ON (job) \(PostgresSQL.buildColumns) FROM builds AS b
        WHERE job = ANY($1::text[]) AND status IN ('created', 'running')
          AND EXISTS (SELECT 1 FROM queue AS q WHERE q.build = b.id)
        ORDER BY job, id DESC
        """
    /// One `created` build per element of the arrays, ids in array order.
    static let insertQueuedBuilds = """
        INSERT INTO builds (job, status, attempt, reason, triggered_by, config_hash,
                            config_snapshot, created_at)
        SELECT t.job, 'created', 1, t.reason, $5::text, t.hash, t.snapshot, $6::bigint
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t (job, reason, hash, snapshot)
        RETURNING \(PostgresSQL.buildColumns)
        """
    /// Queue rows; each build's tags are a JSON array of strings, its pins
    /// a JSON object (dependency to build id).
    static let insertQueueRows = """
        INSERT INTO queue (build, tags, retries, retry_delay, pins, condition)
        SELECT t.build, ARRAY(SELECT jsonb_array_elements_text(t.tags::jsonb)), t.retries, t.delay,
               t.pins::jsonb, t.condition::jsonb
        FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::bigint[], $5::text[], $6::text[])
             AS t (build, tags, retries, delay, pins, condition)
        """
    /// A run that needs the joined builds `$1` in any case makes them unconditional.
    static let dropConditions =
        "UPDATE queue SET condition = NULL WHERE build = ANY($1::bigint[]) AND condition IS NOT NULL"
    static let insertEdges = """
        INSERT INTO queue_edges (build, depends_on)
        SELECT * FROM unnest($1::bigint[], $2::bigint[])
        ON CONFLICT DO NOTHING
        """

    // MARK: Claiming

    /// Claims up to `$8` ready builds whose tags are all in `$1`, oldest
    /// first, in one statement (one round trip): locks them, skipping builds
    /// another worker is claiming right now, leases them to `$2` for `$3` µs,
    /// and marks them running under the runner `$4`..`$6`, claimed and
    /// started at `$7`; with each build, the value of its job's latest
    /// successful build. The server's clock is read once (an InitPlan), not
    /// per row, and the waiting builds are walked in id order through the
    /// partial index `queue_waiting` (the claiming connection turns sequential
    /// scans off, see `claimSettings`), so a claim reads the few rows before
    /// the first ready one instead of sorting every waiting build. The claimed
    /// ids travel as arrays (`= ANY (ARRAY(...))`) and the status check is
    /// kept out of index conditions (`IS TRUE`), so that both updates find
    /// their rows by primary key, not by scanning every created build. A row that
    /// changed after the snapshot is re-checked under its lock, and the
    /// builds update keeps only builds still created, so no build is claimed twice.
    /// The previous value is ordered as `builds_by_job_status` is (job,
    /// status, id), so that it is read there: ordered by id alone, the
    /// cached generic plan walked `builds_by_status` back through every
    /// successful build (0.2 ms of a 0.3 ms claim at 1,000 builds).
    ///
    /// First, ready conditional builds (see `migration5`) whose dependencies
    /// brought no new value are up to date: they are deleted with their
    /// edges (their dependents then wait for them no longer, and count them
    /// as unchanged), and workers are notified, since dependents may now be
    /// ready. `settled` reads only `queue` (a waiting row is a created
    /// build; the delete checks it again): with no conditional build
    /// waiting, that is one probe of the empty partial index
    /// `queue_conditional` (joined to `builds`, the planner walked every
    /// created build instead: 1.7 ms per claim at 1,000 queued builds).
    static let claimNext = """
        WITH settled AS (
            SELECT q.build FROM queue AS q
            WHERE q.waiting AND q.condition IS NOT NULL
              AND NOT EXISTS (
                  SELECT 1 FROM queue_edges AS e JOIN builds AS d ON d.id = e.depends_on
                  WHERE e.build = q.build
                    AND (d.status NOT IN ('successful', 'skipped')
                         OR d.status = 'successful' AND NOT (q.condition ? d.job
                             AND (q.condition ->> d.job) IS NOT DISTINCT FROM d.retval)))
            FOR UPDATE OF q SKIP LOCKED
        ), dropped AS (
            DELETE FROM builds WHERE id = ANY (ARRAY(SELECT build FROM settled))
              AND (status = 'created') IS TRUE
            RETURNING id
        ), unlinked AS (
            DELETE FROM queue_edges WHERE depends_on = ANY (ARRAY(SELECT id FROM dropped))
            RETURNING pg_notify('\(channel)', '')
        ), next AS (
            SELECT q.build FROM queue AS q JOIN builds AS b ON b.id = q.build
            WHERE q.waiting AND b.status = 'created'
              AND q.build <> ALL (ARRAY(SELECT build FROM settled))
              AND q.not_before <= (SELECT \(PostgresSQL.serverNow))
              AND q.tags <@ $1::text[]
              AND NOT EXISTS (
                  SELECT 1 FROM queue_edges AS e JOIN builds AS d ON d.id = e.depends_on
                  WHERE e.build = q.build AND d.status NOT IN ('successful', 'skipped'))
            ORDER BY q.build LIMIT $8::integer
            FOR UPDATE OF q SKIP LOCKED
        ), leased AS (
            UPDATE queue SET waiting = false, lease_owner = $2::text, claimed_at = $7::bigint,
                   lease_expires = (SELECT \(PostgresSQL.serverNow)) + $3::bigint
            WHERE queue.build = ANY (ARRAY(SELECT build FROM next))
            RETURNING queue.build
        )
        UPDATE builds SET status = 'running', started_at = $7::bigint, runner_host = $4::text,
               runner_pid = $5::integer, runner_start = $6::bigint, process_group = NULL
        WHERE builds.id = ANY (ARRAY(SELECT build FROM leased))
          AND (builds.status = 'created') IS TRUE
        RETURNING \(PostgresSQL.buildColumns), (
            SELECT p.retval FROM builds AS p
            WHERE p.job = builds.job AND p.status = 'successful'
            ORDER BY p.job DESC, p.status DESC, p.id DESC LIMIT 1), (
            SELECT q.pins::text FROM queue AS q WHERE q.build = builds.id),
            pg_try_advisory_lock(\(jobLockKey("builds.job")))
        """
    /// The advisory lock key of the job named by the SQL expression `job`:
    /// the key a local run's `PostgresJobLocks` takes. A worker holds the
    /// lock of each job it runs on its claiming connection, from the claim
    /// (the last column of `claimNext`) to the end (`finishClaimed`,
    /// `unlockJobOfBuild`), so a local run on any machine never builds the
    /// job at the same time.
    static func jobLockKey(_ job: String) -> String {
        "hashtextextended(\(job), \(PostgresJobLocks.seed))"
    }
    /// Deletes claimed build `$1` leased to `$2` (`dropClaimed`); its
    /// queue row and the edges of its own dependencies go with it.
    static let dropClaimed = """
        DELETE FROM builds WHERE id = $1::bigint AND status = 'running'
          AND EXISTS (SELECT 1 FROM queue WHERE build = $1::bigint AND lease_owner = $2::text)
        RETURNING id
        """
    /// Builds queued after dropped build `$1` wait for build `$2` instead.
    static let moveEdgesTo = "UPDATE queue_edges SET depends_on = $2::bigint WHERE depends_on = $1::bigint"
    /// Releases this session's lock of job `$1`.
    static let unlockJob = "SELECT pg_advisory_unlock(\(jobLockKey("$1::text")))"
    /// Takes the lock of job `$1` on this session if no one holds it.
    static let tryLockJob = "SELECT pg_try_advisory_lock(\(jobLockKey("$1::text")))"
    /// Releases this session's lock of the job of build `$1` (none held: nothing).
    static let unlockJobOfBuild =
        "SELECT pg_advisory_unlock(\(jobLockKey("job"))) FROM builds WHERE id = $1::bigint"
    /// Set on a connection before its first claim. The planner estimates
    /// that one waiting build or none passes the tags and readiness tests,
    /// so a `LIMIT` gains nothing in its eyes, and it reads every waiting
    /// build (by a sequential or a bitmap scan) and sorts them for each
    /// claim: 2 ms per claim at 1,000 waiting builds, O(n²) per plan. With
    /// both scans off it walks `queue_waiting` in id order and stops at the
    /// first ready builds. Every query a worker's claiming connection runs
    /// has an index to use.
    static let claimSettings = "SET enable_seqscan = off; SET enable_bitmapscan = off"
    /// A claimed build's process is running since `$2` in process group
    /// `$3` (the start time replaces the claim's, so that `started_at -
    /// queue.claimed_at` is the claim-to-start latency); with the dependency
    /// builds it consumes (`$4` jobs, `$5` builds, `$6` values, `$7` pinned), in one statement.
    static let startClaimed = """
        WITH started AS (
            UPDATE builds SET started_at = $2::bigint, process_group = $3::integer
            WHERE id = $1::bigint AND status = 'running'
            RETURNING id
        )
        INSERT INTO build_inputs (build, dependency, consumed, retval, pinned)
        SELECT started.id, t.dependency, t.consumed, t.retval, t.pinned
        FROM started, unnest($4::text[], $5::bigint[], $6::text[], $7::boolean[])
             AS t (dependency, consumed, retval, pinned)
        ON CONFLICT (build, dependency) DO NOTHING
        """
    /// Ends the running queued build `$1` that did not fail (`$2`..`$8` as
    /// `PostgresSQL.finishBuild`), notifying `jcrun_queue` in the same
    /// statement when queued builds wait for it (one notification per
    /// transaction however many wait), and releases this session's lock of
    /// its job, even when the build was no longer running. One row; its id
    /// is NULL when the build was not running. `$9` and `$10`, when not
    /// NULL, are the start (`startClaimed`) of a build that ended before it
    /// was written.
    static let finishClaimed = """
        WITH done AS (
            UPDATE builds SET status = $2::text, failure_kind = $3::text, exit_code = $4::integer,
                   signal = $5::text, error = $6::text, retval = $7::text, finished_at = $8::bigint,
                   started_at = COALESCE($9::bigint, started_at),
                   process_group = COALESCE($10::integer, process_group)
            WHERE id = $1::bigint AND status = 'running' AND $2::text IN ('successful', 'skipped')
            RETURNING id
        ), released AS (
            SELECT pg_advisory_unlock(\(jobLockKey("job"))) FROM builds WHERE id = $1::bigint
        )
        SELECT done.id, (SELECT pg_notify('\(channel)', '')
                    WHERE EXISTS (SELECT 1 FROM queue_edges WHERE depends_on = $1::bigint)) IS NULL
        FROM (SELECT count(*) FROM released) AS r LEFT JOIN done ON true
        """
    /// The latest successful build of each job of `$1` (one round trip).
    static let latestSuccessful = """
        SELECT DISTINCT ON (job) \(PostgresSQL.buildColumns) FROM builds
        WHERE job = ANY($1::text[]) AND status = 'successful'
        ORDER BY job, id DESC
        """
    /// Extends the leases `$1` holds on the running builds `$3`; returns those still held.
    static let renewLeases = """
        UPDATE queue AS q SET lease_expires = \(PostgresSQL.serverNow) + $2::bigint
        FROM builds AS b
        WHERE q.build = b.id AND b.status = 'running' AND q.lease_owner = $1::text
          AND q.build = ANY($3::bigint[])
        RETURNING q.build
        """
    /// Running queued builds whose lease ended, locked for the reaper.
    static let expiredLeases = """
        SELECT \(PostgresSQL.buildColumns) FROM builds AS b
        WHERE b.status = 'running' AND EXISTS (
            SELECT 1 FROM queue AS q
            WHERE q.build = b.id AND q.lease_expires < \(PostgresSQL.serverNow))
        FOR UPDATE SKIP LOCKED
        """
    /// The ids of `expiredLeases`, without the lock (`deadRunnerBuilds`).
    static let expiredLeaseIDs = """
        SELECT b.id FROM builds AS b
        WHERE b.status = 'running' AND EXISTS (
            SELECT 1 FROM queue AS q
            WHERE q.build = b.id AND q.lease_expires < \(PostgresSQL.serverNow))
        """

    // MARK: After a build ends

    static let queueEntry = "SELECT retries FROM queue WHERE build = $1::bigint"
    /// Whether queued builds wait for build `$1` (then its end is notified).
    static let hasDependents =
        "SELECT EXISTS (SELECT 1 FROM queue_edges WHERE depends_on = $1::bigint)"
    /// A new attempt of `$1`, created at `$2`.
    static let insertRetry = """
        INSERT INTO builds (job, status, attempt, reason, triggered_by, config_hash,
                            config_snapshot, created_at)
        SELECT job, 'created', attempt + 1, reason, triggered_by, config_hash, config_snapshot,
               $2::bigint
        FROM builds WHERE id = $1::bigint
        RETURNING id
        """
    static let queueRetry = """
        INSERT INTO queue (build, tags, retries, retry_delay, not_before, retry_of)
        SELECT $2::bigint, tags, retries, retry_delay,
               \(PostgresSQL.serverNow) + retry_delay * 1000000, build
        FROM queue WHERE build = $1::bigint
        """
    static let copyEdges = """
        INSERT INTO queue_edges (build, depends_on)
        SELECT $2::bigint, depends_on FROM queue_edges WHERE build = $1::bigint
        """
    /// Dependents now wait for the retry instead of the failed attempt.
    static let moveEdges =
        "UPDATE queue_edges SET depends_on = $2::bigint WHERE depends_on = $1::bigint"
    /// Fails every queued build that (transitively) waits on the failed
    /// build `$1` of job `$3`, naming the dependency that failed: `$4` says
    /// what became of `$1` itself (`failed`, `was cancelled`).
    static let failDependents = """
        WITH RECURSIVE doomed (id, cause, direct) AS (
            SELECT e.build, $3::text, true FROM queue_edges AS e WHERE e.depends_on = $1::bigint
            UNION
            SELECT e.build, b.job, false FROM doomed AS d
            JOIN builds AS b ON b.id = d.id
            JOIN queue_edges AS e ON e.depends_on = d.id
        )
        UPDATE builds AS b SET status = 'failed', failure_kind = 'dependency_failed',
               error = 'dependency ''' || d.cause || ''' '
                       || CASE WHEN d.direct THEN $4::text ELSE 'failed' END,
               finished_at = $2::bigint
        FROM (SELECT DISTINCT ON (id) id, cause, direct FROM doomed ORDER BY id, direct DESC, cause)
             AS d
        WHERE b.id = d.id AND b.status = 'created'
        RETURNING b.id
        """

    // MARK: Cancelling, workers

    /// Cancels queued build `$1` at `$2` if no worker claimed it yet (it
    /// is still `created`): failed, kind `cancelled`. A claim that locked
    /// the row first wins: this update then finds the build running and
    /// changes nothing; one that comes after finds it failed. One row when
    /// cancelled.
    static let cancelQueued = """
        UPDATE builds AS b SET status = 'failed', failure_kind = 'cancelled',
               error = 'cancelled before a worker claimed it', finished_at = $2::bigint
        WHERE b.id = $1::bigint AND b.status = 'created'
          AND EXISTS (SELECT 1 FROM queue AS q WHERE q.build = b.id)
        RETURNING \(PostgresSQL.buildColumns)
        """
    /// Whether build `$1` is in the queue (queued, not a local run's).
    static let isQueued = "SELECT EXISTS (SELECT 1 FROM queue WHERE build = $1::bigint)"
    /// Worker `$1` on host `$2`, pid `$3`, with tags `$4` and `$5` slots is
    /// alive for `$6` µs more; workers expired meanwhile are forgotten.
    static let announceWorker = """
        WITH forgotten AS (
            DELETE FROM workers WHERE expires_at < \(PostgresSQL.serverNow) AND owner <> $1::text
        )
        INSERT INTO workers (owner, host, pid, tags, slots, expires_at)
        VALUES ($1::text, $2::text, $3::integer, $4::text[], $5::integer,
                \(PostgresSQL.serverNow) + $6::bigint)
        ON CONFLICT (owner) DO UPDATE
            SET tags = EXCLUDED.tags, slots = EXCLUDED.slots, expires_at = EXCLUDED.expires_at
        """
    static let retireWorker = "DELETE FROM workers WHERE owner = $1::text"
    /// Of the builds `$1`, those still `created` in the queue: each one's
    /// tags (joined by commas), whether a live worker carries all of them,
    /// and how many workers are alive.
    static let waitingBuilds = """
        SELECT q.build, array_to_string(q.tags, ','),
               EXISTS (SELECT 1 FROM workers AS w
                       WHERE w.expires_at >= \(PostgresSQL.serverNow) AND q.tags <@ w.tags),
               (SELECT count(*) FROM workers AS w WHERE w.expires_at >= \(PostgresSQL.serverNow))
        FROM queue AS q JOIN builds AS b ON b.id = q.build
        WHERE q.build = ANY($1::bigint[]) AND b.status = 'created'
        ORDER BY q.build
        """
    /// Takes failed queued builds (`$1`) out of the claimable set.
    static let stopWaiting = "UPDATE queue SET waiting = false WHERE build = ANY($1::bigint[])"

    // MARK: Following

    /// For each build of `$1`: the newest attempt of its chain of retries.
    static let latestAttempts = """
        WITH RECURSIVE chain (origin, id) AS (
            SELECT t.id, t.id FROM unnest($1::bigint[]) AS t (id)
            UNION ALL
            SELECT c.origin, q.build FROM chain AS c JOIN queue AS q ON q.retry_of = c.id
        )
        SELECT DISTINCT ON (origin) origin, id FROM chain ORDER BY origin, id DESC
        """
    /// For each build of `$1`: every attempt of its chain of retries, oldest first.
    static let allAttempts = """
        WITH RECURSIVE chain (origin, id) AS (
            SELECT t.id, t.id FROM unnest($1::bigint[]) AS t (id)
            UNION ALL
            SELECT c.origin, q.build FROM chain AS c JOIN queue AS q ON q.retry_of = c.id
        )
        SELECT origin, id FROM chain ORDER BY origin, id
        """
    /// `latestAttempts` with each newest attempt's status: what `--wait`
    /// polls, without reading whole rows that did not change.
    static let latestAttemptStatuses = """
        WITH RECURSIVE chain (origin, id) AS (
            SELECT t.id, t.id FROM unnest($1::bigint[]) AS t (id)
            UNION ALL
            SELECT c.origin, q.build FROM chain AS c JOIN queue AS q ON q.retry_of = c.id
        )
        SELECT l.origin, l.id, b.status
        FROM (SELECT DISTINCT ON (origin) origin, id FROM chain ORDER BY origin, id DESC) AS l
        JOIN builds AS b ON b.id = l.id
        """
}
