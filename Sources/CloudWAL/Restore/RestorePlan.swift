/// Planning where each tar of a backup goes.
extension BackupRestorer {
    typealias Target = (group: BackupTarFiles.Group, directory: String)

    /// Where every tar of the chosen backup goes, checked before anything is written.
    struct RestorePlan {
        let backupID: String
        let destination: String
        let tars: BackupTarFiles
        let targets: [Target]
        let links: [(oid: Int, location: String)]
        /// cloud-wal's manifest; barman-cloud's backups have none.
        let manifest: BackupManifest?
    }

    /// Lists the backup's tars, places each (PGDATA's into the destination, each tablespace's
    /// into its location or relocation), and reads the manifest, which must name no tar the
    /// store lacks.
    func plan(_ info: BackupInfo, destination: String, relocations: [String: String]) async throws -> RestorePlan {
        let prefix = layout.backupPrefix(info.backupID)
        let listing = try await store.list(prefix: prefix, delimiter: "/")
        let (tars, ignored) = try BackupTarFiles.find(
            in: listing.objects, backupPrefix: prefix, tablespaceOIDs: info.tablespaces.map(\.oid))
        for name in ignored { logger.warning("Ignoring unexpected object \(prefix)\(name)") }

        // Where each tar goes; every destination must be empty before anything is written.
        let (targets, links) = try place(tars, info: info, destination: destination, relocations: relocations)

        // Read (and for an encrypted backup decrypted) before anything is written, so a missing
        // key is reported while the destination is still untouched.
        let manifest = try await readManifest(prefix: prefix, listing: listing, parts: tars.groups.flatMap(\.parts))
        if let manifest {
            let present = Set(tars.fileNames)
            for key in manifest.files.map(\.key).sorted() where !present.contains(key) {
                throw BackupError(.corrupt, "Backup \(info.backupID) is incomplete: \(key) is in its manifest but not in the store")
            }
        } else {
            logger.info("Backup \(info.backupID) has no \(BackupManifest.fileName); relying on the codecs' own checks")
        }
        return RestorePlan(
            backupID: info.backupID, destination: destination, tars: tars, targets: targets, links: links, manifest: manifest)
    }

    /// PGDATA's tar into the destination, each tablespace's into its location (or relocation),
    /// and the `pg_tblspc` links to make; refuses overlapping or non-empty locations.
    private func place(
        _ tars: BackupTarFiles, info: BackupInfo, destination: String, relocations: [String: String]
    ) throws -> (targets: [Target], links: [(oid: Int, location: String)]) {
        let tablespaces = info.tablespaces
        for name in relocations.keys where !tablespaces.contains(where: { $0.name == name }) {
            throw BackupError(.invalidInput, "Backup \(info.backupID) has no tablespace named '\(name)'")
        }
        var targets: [Target] = []
        var links: [(oid: Int, location: String)] = []
        for group in tars.groups {
            guard let oid = group.oid else {
                targets.append((group, destination))
                continue
            }
            guard let tablespace = tablespaces.first(where: { $0.oid == oid }) else { continue }
            let location = try RestoreDirectories.absolutePath(relocations[tablespace.name] ?? tablespace.location)
            guard location != destination, !location.hasPrefix(destination + "/") else {
                throw BackupError(.invalidInput, "Tablespace \(tablespace.name) cannot be restored inside the data directory (\(location))")
            }
            guard !targets.contains(where: { $0.directory == location }) else {
                throw BackupError(.invalidInput, "Two tablespaces cannot be restored into the same location (\(location))")
            }
            try RestoreDirectories.requireEmptyOrAbsent(location)
            targets.append((group, location))
            links.append((oid, location))
        }
        return (targets, links)
    }

    private func readManifest(
        prefix: String, listing: ObjectListing, parts: [BackupTarFiles.Part]
    ) async throws -> BackupManifest? {
        let found = BackupManifestFile.find(in: listing.objects, prefix: prefix)
        if let mismatch = BackupManifestFile.mismatch(found, parts: parts) {
            throw BackupError(.corrupt, "Backup in \(prefix) cannot be trusted: \(mismatch)")
        }
        let key: String
        switch found {
        case .absent: return nil
        case .plain(let plain): key = plain
        case .encrypted(let encrypted): key = encrypted
        case .ambiguous:
            throw BackupError(.corrupt, "\(prefix) holds both \(BackupManifest.fileName) and \(BackupManifest.encryptedFileName)")
        }
        let isEncrypted = found == .encrypted(key: key)
        guard let manifest = try await BackupManifestFile.read(
            key: key, encrypted: isEncrypted, store: store, layout: layout, keys: keys)
        else {
            throw BackupError(.corrupt, "\(key) is not a manifest this version understands")
        }
        return manifest
    }
}
