import Foundation

/// Build ids handed out ahead (issue #5): with `-j 1` the scheduler starts
/// the next build's process with the id reserved here, then ends the
/// previous build and stores the new one's row in one write while the
/// process starts, so that the write is off the path from one build's end
/// to the next one's start.
///
/// The reservation is `sqlite_sequence`'s `seq` for `builds` moved one past
/// every id handed out: `AUTOINCREMENT` gives no other row an id at or
/// below it, and another process's reservation takes the next. The page is
/// the one each insert writes anyway. An id left reserved by a jcrun that
/// died is a gap in the ids, nothing else: no row names it.
extension SQLiteStore {
    public var reservedBuildID: BuildReservation? { reservation }

    /// Turns on or off the reservation of the next id with every new row.
    /// Neither writes: the next new row reserves one; an id held once it is
    /// off is taken by the next new row, or given back by the next write
    /// that ends a build alone (`finishBuild(_:result:)`) or by `close()`.
    public func reservingBuildIDs(_ on: Bool) throws {
        keepsReservation = on && mode == .write
    }

    /// Inside a write: gives back the id held (no longer kept reserved)
    /// while no id above it was handed out. The caller drops it once committed.
    func giveBackReservation() throws {
        guard !keepsReservation, let held = reservation else { return }
        try connection.using(SQLiteSQL.releaseBuildID) { statement in
            statement.bind(1, held.id)
            try statement.run()
        }
    }

    /// Gives back the id held, in a write of its own (`close()`).
    func giveBackReservationNow() {
        guard reservation != nil, mode == .write else { return }
        keepsReservation = false
        if (try? connection.write { try giveBackReservation() }) != nil { reservation = nil }
    }

    /// Ends build `id` and stores `next` as running under `runner` (its
    /// process group included) with the id `reserved`, in one write that
    /// also reserves the next id while ids are kept reserved.
    ///
    /// - Throws: what `finishBuild` throws, `.refused` when `reserved` is
    ///   not the id this store holds; nothing is stored then.
    public func finishBuild(
        _ id: BuildID, result: BuildResult, thenStoreStarted next: NewBuild,
        as reserved: BuildReservation, runner: RunnerIdentity, startedAt: Date
    ) throws -> BuildRecord {
        guard result.status.isFinished else {
            throw StoreError.refused("build #\(id) cannot finish as '\(result.status.rawValue)'")
        }
        guard reservation?.id == reserved.id else {
            throw StoreError.refused("build #\(reserved.id) is not the id this store reserved")
        }
        let now = SQLiteStatement.micros(clock())
        let started = SQLiteStatement.micros(startedAt)
        var running = next
        running.status = .running
        let (record, renewed): (BuildRecord, BuildReservation?) = try connection.write {
            try finish(id, result, at: now)
            if connection.changes == 0 { try refuseChange(of: id, doing: "finish") }
            let record = try insert(running, at: started, id: reserved.id, runner: runner)
            return (record, keepsReservation ? try reserveNextID() : nil)
        }
        reservation = renewed
        return record
    }

    /// Inside a write that inserted a build: reserves the id after every id
    /// handed out, with `data_version` as it is (this write holds the read
    /// lock it needs).
    func reserveNextID() throws -> BuildReservation {
        let id = try connection.using(SQLiteSQL.reserveBuildID) { statement -> Int64 in
            guard try statement.step() else {
                throw StoreError.engine(message: "\(path): no build id could be reserved")
            }
            return statement.int64(0)
        }
        let counter = try connection.integer("PRAGMA data_version") ?? 0
        return BuildReservation(id: id, counter: counter)
    }
}
