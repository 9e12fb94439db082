/// Reading every needed object once, `jobs` at a time, from one queue shared by tars and WAL,
/// so a backup with one big tar and a long WAL tail keeps every download slot busy.
extension Verifier {
    enum ReadJob: Sendable {
        /// One part of a backup with a manifest, hashed on its own.
        case part(backupID: String, BackupTarFiles.Part)
        /// Every part of one tar of a backup without a manifest, in order.
        case tar(backupID: String, name: String, [BackupTarFiles.Part])
        case wal(WALArchiveIndex.Stored)
    }

    enum ReadResult: Sendable {
        case tar(backupID: String, name: String, ObjectReading)
        case wal(WALReading)
    }

    struct ReadOutcome: Sendable {
        /// Backup id -> reading name (part file name or tar name) -> reading.
        var tarReadings: [String: [String: ObjectReading]] = [:]
        /// Object key -> reading.
        var walReadings: [String: WALReading] = [:]
        var bytesRead: Int64 = 0
    }

    func read(_ inventory: VerifyInventory, jobs: Int) async throws -> ReadOutcome {
        var queue: [ReadJob] = []
        for evidence in inventory.backups where evidence.info.status == .done {
            let id = evidence.info.backupID
            if let manifest = evidence.manifest.manifest {
                // Only what the manifest lists: anything else is already a finding.
                for file in manifest.files {
                    if let part = evidence.layout.part(named: file.key) { queue.append(.part(backupID: id, part)) }
                }
            } else {
                for name in evidence.layout.tars.keys.sorted() {
                    queue.append(.tar(backupID: id, name: name, evidence.layout.tars[name] ?? []))
                }
            }
        }
        queue += inventory.walToRead.map(ReadJob.wal)

        let (partReader, walReader) = (self.partReader, self.walReader)
        let results = try await BoundedConcurrency.map(queue, limit: jobs) { job -> ReadResult in
            switch job {
            case let .part(id, part):
                return .tar(backupID: id, name: part.fileName, try await TarReading.hashPart(part, reader: partReader))
            case let .tar(id, name, parts):
                return .tar(backupID: id, name: name, try await TarReading.readThrough(parts, reader: partReader))
            case let .wal(stored):
                return .wal(try await Self.readWAL(stored, reader: walReader))
            }
        }

        var outcome = ReadOutcome()
        for result in results {
            switch result {
            case let .tar(id, name, reading):
                outcome.tarReadings[id, default: [:]][name] = reading
                outcome.bytesRead += Int64(reading.storedBytes)
            case let .wal(reading):
                outcome.walReadings[reading.stored.key] = reading
                outcome.bytesRead += Int64(reading.stored.storedBytes)
            }
        }
        return outcome
    }

    /// One WAL object through the reader restore uses, so both trust the same checks.
    static func readWAL(_ stored: WALArchiveIndex.Stored, reader: WALObjectReader) async throws -> WALReading {
        do {
            let result = try await reader.read(stored.key, compression: stored.compression, expectSegment: true) { _ in }
            return WALReading(
                stored: stored, size: result.size, sha256: result.sha256, checksumRecorded: result.verified,
                firstBytes: result.firstBytes, problem: nil)
        } catch {
            return WALReading(
                stored: stored, size: 0, sha256: nil, checksumRecorded: false, firstBytes: [],
                problem: try ReadProblem.describe(error))
        }
    }
}
