/// The two ways verify reads a backup's tars.
///
/// With a manifest, each part is read on its own (so parts download in parallel) and its plain
/// bytes hashed: matching the SHA-256 recorded when it was written proves the bytes are the ones
/// the backup produced, tar structure included. Without one (barman-cloud's backups), the parts
/// of one tar are read in order through one `TarReader`, as restore does, which proves only that
/// the stream decodes and ends with its end-of-archive marker.
enum TarReading {
    static func hashPart(_ part: BackupTarFiles.Part, reader: BackupPartReader) async throws -> ObjectReading {
        var digest = ContentDigest()
        do {
            let stored = try await reader.read(part) { digest.update($0) }
            return ObjectReading(
                key: part.key, storedBytes: stored, plainBytes: digest.byteCount, sha256: digest.finalize(), problem: nil)
        } catch {
            return ObjectReading(
                key: part.key, storedBytes: 0, plainBytes: digest.byteCount, sha256: nil,
                problem: try ReadProblem.describe(error))
        }
    }

    /// Reads every part of one tar in order; a problem names the part where it was found.
    static func readThrough(_ parts: [BackupTarFiles.Part], reader: BackupPartReader) async throws -> ObjectReading {
        let sink = DiscardingTarSink()
        var tar = TarReader()
        var stored = 0
        var plain = 0
        var endedCleanly = false
        for part in parts {
            do {
                stored += try await reader.read(part) { bytes in
                    plain += bytes.count
                    try tar.feed(bytes, into: sink)
                }
            } catch {
                return ObjectReading(
                    key: part.key, storedBytes: stored, plainBytes: plain, sha256: nil, problem: try ReadProblem.describe(error))
            }
            // barman-cloud's parts are each a complete archive; ours continue mid-member.
            endedCleanly = tar.isAtEndOfArchive
            if endedCleanly { tar.startNextArchive() }
        }
        let last = parts.last?.key ?? ""
        if !endedCleanly {
            do {
                try tar.finish()
            } catch {
                return ObjectReading(
                    key: last, storedBytes: stored, plainBytes: plain, sha256: nil, problem: "\(last) is not a valid tar: \(error)")
            }
        }
        return ObjectReading(key: last, storedBytes: stored, plainBytes: plain, sha256: nil, problem: nil)
    }
}

/// Reads members and keeps nothing: verify writes nothing to disk.
final class DiscardingTarSink: TarSink {
    func begin(_ entry: TarMember) throws {}
    func write(_ bytes: UnsafeRawBufferPointer) throws {}
    func end() throws {}
}
