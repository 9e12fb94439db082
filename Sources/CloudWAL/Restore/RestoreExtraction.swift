/// Extracting a backup's tars, checked against the codecs and the manifest.
extension BackupRestorer {
    struct Counters {
        var totalStored: Int64
        var stored: Int64 = 0
        var tar: Int64 = 0
    }

    /// What extracting every tar did.
    struct Extracted {
        var counters: Counters
        var filesWritten = 0
        /// Locations this restore created (the data directory among them, when it was absent).
        var createdDirectories: [String] = []
    }

    /// Unpacks every tar into its planned directory.
    func extract(_ plan: RestorePlan, progress: (any RestoreProgress)?) async throws -> Extracted {
        var extracted = Extracted(counters: Counters(totalStored: Int64(plan.tars.totalStoredBytes)))
        for (group, directory) in plan.targets {
            if !FileSystemOps.exists(directory) { extracted.createdDirectories.append(directory) }
            try RestoreDirectories.makeDirectory(directory)
            extracted.filesWritten += try await extract(
                group, into: directory, manifest: plan.manifest, counters: &extracted.counters, progress: progress)
        }
        progress?.finish()
        return extracted
    }

    /// Streams every part of one tar through its decompressor into one reader and extractor.
    /// barman-cloud's parts are each a complete archive; a stream cut mid-member continues in
    /// the next part, so both kinds of split restore.
    private func extract(
        _ group: BackupTarFiles.Group, into directory: String, manifest: BackupManifest?,
        counters: inout Counters, progress: (any RestoreProgress)?
    ) async throws -> Int {
        let extractor = TarExtractor(destination: directory, logger: logger)
        var reader = TarReader()
        var endedCleanly = false
        for part in group.parts {
            logger.debug("Extracting \(part.key) to \(directory)")
            // Hashing costs a tenth of the CPU of a restore: only when a manifest can check it.
            var digest: ContentDigest? = manifest == nil ? nil : ContentDigest()
            var plainBytes = 0
            var fetched = counters.stored
            let (tarBefore, totalStored) = (counters.tar, counters.totalStored)
            func consume(_ bytes: UnsafeRawBufferPointer) throws {
                digest?.update(bytes)
                plainBytes += bytes.count
                try reader.feed(bytes, into: extractor)
            }
            func report(_ count: Int) {
                fetched += Int64(count)
                progress?.update(
                    storedBytes: fetched, totalStoredBytes: totalStored, tarBytes: tarBefore + Int64(plainBytes))
            }
            let stored: Int
            do {
                // The one place stored bytes become tar bytes, decrypted and decompressed as verify reads them.
                stored = try await partReader.read(part, fetched: report, sink: consume)
            } catch let error as TarError {
                throw BackupError(.corrupt, "\(part.key) is not a valid tar: \(error.message)")
            } catch let error as SystemError {
                throw BackupError(.localIO, "Cannot restore \(part.key): \(error)")
            }
            counters.stored = fetched
            counters.tar += Int64(plainBytes)
            if let manifest, let digest {
                try verify(part, sha256: digest.finalize(), tarBytes: plainBytes, storedBytes: stored, manifest: manifest)
            }
            endedCleanly = reader.isAtEndOfArchive
            if endedCleanly { reader.startNextArchive() }
        }
        do {
            // The last part must end with the end-of-archive marker: anything else is truncation.
            if !endedCleanly { try reader.finish() }
            try extractor.finish()
        } catch let error as TarError {
            throw BackupError(.corrupt, "\(group.parts.last?.key ?? group.name) is not a valid tar: \(error.message)")
        } catch let error as SystemError {
            throw BackupError(.localIO, "Cannot restore into \(directory): \(error)")
        }
        return extractor.filesWritten
    }

    private func verify(
        _ part: BackupTarFiles.Part, sha256: String, tarBytes: Int, storedBytes: Int, manifest: BackupManifest
    ) throws {
        guard let expected = manifest.files.first(where: { $0.key == part.fileName }) else {
            throw BackupError(.corrupt, "\(part.key) is not in the backup's manifest")
        }
        guard expected.tarBytes == tarBytes else {
            throw BackupError(.corrupt, "\(part.key) is corrupt: \(tarBytes) tar bytes instead of the recorded \(expected.tarBytes)")
        }
        guard expected.sha256.lowercased() == sha256 else {
            throw BackupError(.corrupt, "\(part.key) is corrupt: SHA-256 \(sha256) differs from the recorded \(expected.sha256)")
        }
        guard expected.storedBytes == storedBytes else {
            throw BackupError(
                .corrupt, "\(part.key) is corrupt: \(storedBytes) stored bytes instead of the recorded \(expected.storedBytes)")
        }
    }
}
