import Foundation

/// The validated jobs of a load, kept in `.jcrun/cache/` of the project
/// folder so that the next run skips templating, YAML and decoding.
///
/// An entry is found by a key over this jcrun binary, the project and jobs
/// folders, and the folder paths are shown relative to. It is used only if
/// every file the load read is unchanged (`CacheInputs.isUnchanged`), files
/// it looked for are still missing, `jobs.d/` lists the same job files, and
/// the environment variables the load read (`env.NAME` in templates, `!env
/// NAME`) have the same values, or the whole environment is the same when a
/// template used `env` in any other way (`EnvironmentScan`). `jcrun.yaml` is
/// always read afresh (its secrets are never written to the cache), and its
/// content is one of the inputs. Any failure to read or write the cache only
/// costs a normal load.
struct JobSetCache {
    /// Raised whenever the file layout or `Job`'s fields change.
    static let formatVersion = 2
    static let magic: [UInt8] = Array("jcrun-jobs".utf8)
    /// Entries kept per project folder (one per environment seen lately).
    static let maxEntries = 8

    let folder: URL
    /// False for read-only commands: the folder is made only inside an
    /// existing parent (`.jcrun/`, which the store makes), so that they never
    /// leave a `.jcrun/` behind in a project that has none.
    let mayCreateFolder: Bool
    let key: ContentHash
    let environment: [String: String]

    init(
        folder: URL, mayCreateFolder: Bool = true, projectDir: URL, jobsDir: URL, base: String,
        environment: [String: String]
    ) {
        self.folder = folder
        self.mayCreateFolder = mayCreateFolder
        self.environment = environment
        var key = ContentHash()
        key.add(text: "format \(Self.formatVersion)")
        key.add(text: Self.executableIdentity)
        for path in [projectDir.path, jobsDir.path, base] { key.add(text: path) }
        self.key = key
    }

    /// The hash of the variables `names` (nil: every variable), set or not.
    func environmentHash(_ names: [String]?) -> ContentHash {
        var hash = ContentHash()
        for name in names ?? environment.keys.sorted() {
            hash.add(text: name)
            if let value = environment[name] {
                hash.add(text: "=" + value)
            } else {
                hash.add(text: "unset")
            }
        }
        return hash
    }

    var entryPath: String { folder.appendingPathComponent("jobs-\(key.hex).bin").path }

    /// This program's file identity: a rebuilt jcrun never reads an older one's cache.
    static let executableIdentity: String = {
        guard let stamp = FileStamp.of("/proc/self/exe") else { return "unknown" }
        return "\(stamp.device):\(stamp.inode):\(stamp.size):\(stamp.modified):\(stamp.changed)"
    }()

    // MARK: Reading

    /// The cached jobs, if the entry exists and every input is unchanged.
    func jobs(jobFileNames: [String]?) -> [Job]? {
        guard let data = FileManager.default.contents(atPath: entryPath) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count > Self.magic.count + 16,
            Array(bytes[0..<Self.magic.count]) == Self.magic
        else { return nil }
        do {
            var reader = try CacheReader(bytes, from: Self.magic.count)
            guard try reader.int() == Self.formatVersion, try reader.text() == key.hex,
                try inputsAreUnchanged(&reader),
                try reader.list({ try $0.text() }) == jobFileNames,
                try environmentIsUnchanged(&reader)
            else { return nil }
            let jobs = try reader.list { try $0.job() }
            return reader.isAtEnd ? jobs : nil
        } catch {
            return nil  // a damaged entry is a miss; the next save replaces it
        }
    }

    private func inputsAreUnchanged(_ reader: inout CacheReader) throws -> Bool {
        let count = try reader.int()
        for _ in 0..<count {
            let path = try reader.text()
            let stamp = try reader.optional { reader in
                FileStamp(
                    device: UInt64(bitPattern: Int64(try reader.int())),
                    inode: UInt64(bitPattern: Int64(try reader.int())),
                    size: Int64(try reader.int()), modified: Int64(try reader.int()),
                    changed: Int64(try reader.int()))
            }
            let trusted = try reader.bool()
            let high = UInt64(bitPattern: Int64(try reader.int()))
            let low = UInt64(bitPattern: Int64(try reader.int()))
            let hash = ContentHash(raw: UInt128(high) << 64 | UInt128(low))
            let input = CacheInputs.Input(path: path, stamp: stamp, hash: hash)
            if !CacheInputs.isUnchanged(input, trusted: trusted) { return false }
        }
        return true
    }

    private func environmentIsUnchanged(_ reader: inout CacheReader) throws -> Bool {
        let names = try reader.optional { try $0.list { try $0.text() } }
        let high = UInt64(bitPattern: Int64(try reader.int()))
        let low = UInt64(bitPattern: Int64(try reader.int()))
        return environmentHash(names) == ContentHash(raw: UInt128(high) << 64 | UInt128(low))
    }

    // MARK: Writing

    /// Writes the entry for `jobs` (atomically: a reader sees the old file
    /// or the new one), then drops the oldest entries beyond `maxEntries`.
    /// Best effort: an unwritable folder leaves no entry and no error. Jobs
    /// holding a secret's value (a template that wrote `{{ env.TOKEN }}`
    /// into a job) are not cached at all, so no secret reaches the disk.
    func save(
        _ jobs: [Job], inputs: [CacheInputs.Input], jobFileNames: [String],
        environmentRead: [String]?, secretValues: [String] = [], now: Date = Date()
    ) {
        if !mayCreateFolder {
            var info = stat()
            let parent = folder.deletingLastPathComponent().path
            guard stat(parent, &info) == 0 else { return }  // no `.jcrun/` yet: no cache
        }
        var writer = CacheWriter()
        writer.int(Self.formatVersion)
        writer.text(key.hex)
        writer.list(inputs) { writer, input in
            writer.text(input.path)
            writer.optional(input.stamp) { writer, stamp in
                writer.int(Int(Int64(bitPattern: stamp.device)))
                writer.int(Int(Int64(bitPattern: stamp.inode)))
                writer.int(Int(stamp.size))
                writer.int(Int(stamp.modified))
                writer.int(Int(stamp.changed))
            }
            writer.bool(input.stamp?.isSettled(at: now) ?? true)
            writer.int(Int(Int64(bitPattern: input.hash.high)))
            writer.int(Int(Int64(bitPattern: input.hash.low)))
        }
        writer.list(jobFileNames) { $0.text($1) }
        writer.optional(environmentRead) { writer, names in writer.list(names) { $0.text($1) } }
        let environmentHash = environmentHash(environmentRead)
        writer.int(Int(Int64(bitPattern: environmentHash.high)))
        writer.int(Int(Int64(bitPattern: environmentHash.low)))
        writer.list(jobs) { $0.job($1) }
        let bytes = Self.magic + writer.bytes()
        if secretValues.contains(where: { Self.bytes(bytes, contain: $0) }) {
            unlink(entryPath)  // an older entry for these inputs would be stale anyway
            return
        }

        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil
        else { return }  // no cache where the project folder is read-only
        let temporary = entryPath + ".\(getpid()).tmp"
        guard FileManager.default.createFile(
            atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else { return }  // as above: the cache is optional
        if rename(temporary, entryPath) != 0 {
            unlink(temporary)  // the entry stays missing; the next run tries again
            return
        }
        removeOldEntries()
    }

    private static func bytes(_ bytes: [UInt8], contain text: String) -> Bool {
        let needle = Array(text.utf8)
        guard let first = needle.first, bytes.count >= needle.count else { return false }
        return bytes.withUnsafeBufferPointer { haystack in
            var start = 0
            let last = haystack.count - needle.count
            while start <= last {
                guard let hit = haystack[start...last].firstIndex(of: first) else { return false }
                if needle.indices.allSatisfy({ haystack[hit + $0] == needle[$0] }) { return true }
                start = hit + 1
            }
            return false
        }
    }

    private func removeOldEntries() {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: folder.path) else { return }
        let entries = names.filter { $0.hasPrefix("jobs-") && $0.hasSuffix(".bin") }
        guard entries.count > Self.maxEntries else { return }
        let byAge = entries.map { name -> (String, Int64) in
            let path = folder.appendingPathComponent(name).path
            return (path, FileStamp.of(path)?.modified ?? 0)
        }.sorted { $0.1 < $1.1 }
        for (path, _) in byAge.prefix(entries.count - Self.maxEntries) {
            unlink(path)  // another jcrun may have removed it first
        }
    }
}
