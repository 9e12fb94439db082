#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Finishing a restored data directory.
extension BackupRestorer {
    /// What the tars do not hold: owners for created locations, the `pg_tblspc` links, `pg_wal`,
    /// the recovery settings; then the data directory and its parent are fsynced.
    func finish(_ plan: RestorePlan, created: [String], recoveryConfig: RecoveryConfig?) throws {
        let destination = plan.destination
        // barman-cloud's tablespace tars have no entry for the location itself: a location this
        // restore created gets the data directory's owner, or the server could not enter it.
        let owner = try RestoreDirectories.owner(of: destination)
        for directory in created where directory != destination {
            try owner.apply(directory)
        }
        try linkTablespaces(plan.links, dataDirectory: destination, owner: owner)
        try makeWALDirectory(destination, owner: owner)
        if let recoveryConfig {
            try RecoveryConfigWriter(dataDirectory: destination, owner: owner).write(recoveryConfig, backupID: plan.backupID)
        }
        try FileSystemOps.syncDirectory(destination)
        try FileSystemOps.syncDirectory(FileSystemOps.directory(of: destination))
    }

    private func linkTablespaces(_ links: [(oid: Int, location: String)], dataDirectory: String, owner: FileOwner) throws {
        guard !links.isEmpty else { return }
        let directory = dataDirectory + "/pg_tblspc"
        try RestoreDirectories.makeDirectory(directory, owner: owner)
        for (oid, location) in links {
            let link = "\(directory)/\(oid)"
            var info = stat()
            if lstat(link, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFLNK, unlink(link) == 0 else {
                    throw BackupError(.localIO, "Cannot create the tablespace link \(link): something else is there")
                }
            }
            guard symlink(location, link) == 0 else { throw BackupError(.localIO, "\(SystemError("symlink", path: link, errno: errno))") }
            try owner.apply(link)
            logger.info("Tablespace \(oid) restored at \(location)")
        }
        try FileSystemOps.syncDirectory(directory)
        // PostgreSQL re-creates pg_tblspc links from tablespace_map when it exists: keep it in step.
        let mapPath = dataDirectory + "/tablespace_map"
        if FileSystemOps.exists(mapPath) {
            let text = links.map { "\($0.oid) \($0.location)\n" }.joined()
            try RecoveryConfigWriter.replaceFile(mapPath, contents: text, owner: owner)
        }
    }

    private func makeWALDirectory(_ dataDirectory: String, owner: FileOwner) throws {
        // barman-cloud leaves pg_wal out of the tar (and a symlinked pg_wal is not in it at all).
        for path in [dataDirectory + "/pg_wal", dataDirectory + "/pg_wal/archive_status"] {
            var info = stat()
            if stat(path, &info) == 0 { continue }
            try RestoreDirectories.makeDirectory(path, owner: owner)
        }
    }
}
