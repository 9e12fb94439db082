import CloudWAL
import Foundation
import Testing

/// Encrypted base backups over the file:// store: the tars and the manifest written encrypted
/// (`.cwenc`, nothing of the plaintext readable), restored through the keyring, and refused when
/// the key is missing, a part is tampered with or moved to another backup, or the manifest is
/// not the encrypted one.
@Suite("Encrypted base backups")
struct EncryptedBackupTests {
    static let backupID = "20260101T000000"
    static let marker = Array("row-value-4f1c9b-never-in-the-clear".utf8)

    struct Fixture: FileArchiveFixture {
        let base: FileArchive
        let keyring: Keyring

        init() throws {
            base = try FileArchive(storeFolder: "store", prefix: "pfx", serverName: "pg1")
            keyring = try Sealing.keyring(["backup-key"])
        }

        /// A backup of one encrypted tar split into four objects (each entry starts a new one), of
        /// files holding `marker`, its encrypted manifest and its plain backup.info. Returns the
        /// files' contents by path.
        @discardableResult
        func writeBackup(
            _ backupID: String = EncryptedBackupTests.backupID, compression: Compression? = .gzip, plainManifest: Bool = false
        ) async throws -> [String: [UInt8]] {
            let settings = TarArchiveWriter.Settings(
                store: store, layout: layout, backupID: backupID, compression: compression, level: .medium,
                partSize: 5 << 20, jobs: 2, maxArchiveSize: 1, options: PutOptions(), encryption: keyring)
            let writer = TarArchiveWriter(name: "data", settings: settings, progress: BackupProgress(verb: "", expectedBytes: nil, enabled: false))
            var contents: [String: [UInt8]] = ["PG_VERSION": Array("15\n".utf8)]
            for index in 0..<3 {
                contents["base/file\(index)"] = TestData.segment(size: 90_000, seed: UInt64(index + 1)) + EncryptedBackupTests.marker
            }
            for path in contents.keys.sorted() {
                let bytes = contents[path] ?? []
                let source = try dir.write(bytes, to: "src/\(path.replacingOccurrences(of: "/", with: "_"))")
                try await writer.add(TarEntry(path: path, kind: .file(size: bytes.count), mode: 0o600), sourcePath: source)
            }
            let results = try await writer.finish()
            let prefix = layout.backupPrefix(backupID)
            let manifest = BackupManifest(files: results.map {
                .init(key: String($0.key.dropFirst(prefix.count)), sha256: $0.sha256, tarBytes: $0.tarBytes, storedBytes: $0.storedBytes)
            })
            let json = Array(manifest.json.utf8)
            if plainManifest {
                _ = try await store.put(prefix + BackupManifest.fileName, body: json, options: PutOptions())
            } else {
                let sealed = try await SealedBackupFile.seal(
                    json, identity: layout.backupObjectIdentity(backupID: backupID, fileName: BackupManifest.fileName), keys: keyring)
                _ = try await store.put(prefix + BackupManifest.encryptedFileName, body: sealed, options: PutOptions())
            }
            var info = BackupInfo(backupID: backupID)
            info.status = .done
            info.endTime = try Timestamp(parsing: "2026-01-01 12:00:00+00:00")
            info.endXLOG = "0/3000100"
            info.timeline = 1
            _ = try await store.put(layout.backupInfoKey(backupID), body: info.bytes, options: PutOptions(createOnly: false))
            return contents
        }

        func restorer(keys: (any ObjectKeyProvider)?) -> BackupRestorer {
            BackupRestorer(store: store, layout: layout, logger: TestData.quietLogger, keys: keys)
        }

        func restore(_ backupID: String = EncryptedBackupTests.backupID, keys: (any ObjectKeyProvider)?, into name: String = "restored") async throws -> String {
            let destination = dir.path + "/" + name
            _ = try await restorer(keys: keys).restore(RestoreRequest(backupID: backupID, recoveryDirectory: destination))
            return destination
        }

        /// The files of the backup's folder, by name.
        func storedFiles(_ backupID: String = EncryptedBackupTests.backupID) throws -> [String: [UInt8]] {
            let folder = dir.path + "/store/" + layout.backupPrefix(backupID)
            var files: [String: [UInt8]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) where !name.hasPrefix(".") {
                files[name] = Array(try Data(contentsOf: URL(fileURLWithPath: folder + name)))
            }
            return files
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    @Test("every tar and the manifest are stored encrypted, backup.info alone in the clear; restore decrypts them",
          arguments: [nil, Compression.gzip, .zstd])
    func roundTrip(compression: Compression?) async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        let contents = try await fixture.writeBackup(compression: compression)
        let stored = try fixture.storedFiles()
        let ext = compression?.fileExtension ?? ""
        #expect(stored.keys.sorted() == ["backup.info", "cloudwal-manifest.json.cwenc"]
            + ["data", "data_0001", "data_0002", "data_0003"].map { "\($0).tar\(ext).cwenc" })
        for (name, bytes) in stored where name != "backup.info" {
            #expect(bytes.starts(with: EncryptionFormat.magic), "\(name)")
            #expect(!Self.contains(bytes, Self.marker), "\(name) holds plaintext")
            #expect(!Self.contains(bytes, Array("PG_VERSION".utf8)), "\(name) holds a member name")
        }
        // The metadata sidecars of the file store hold nothing derived from the plaintext.
        let folder = fixture.dir.path + "/store/" + fixture.layout.backupPrefix(Self.backupID)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".meta") {
            let text = (try? String(contentsOfFile: folder + name, encoding: .utf8)) ?? ""
            #expect(!text.contains("sha256") && !text.contains("cloudwal-"), "\(name): \(text)")
        }

        let destination = try await fixture.restore(keys: fixture.keyring)
        for (path, bytes) in contents {
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: destination + "/" + path))) == bytes, "\(path)")
        }
    }

    @Test("without the key: one line naming it, and nothing written to the destination")
    func missingKey() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        try await fixture.writeBackup()
        let other: any ObjectKeyProvider = try Sealing.keyring(["other"])
        let candidates: [(any ObjectKeyProvider)?] = [nil, other, DeferredKeyring(path: "/nonexistent/keyring")]
        for keys in candidates {
            let error = await #expect(throws: (any Error).self) { try await fixture.restore(keys: keys) }
            let message = "\(error.map { "\($0)" } ?? "")"
            if keys is DeferredKeyring {
                #expect(message.contains("/nonexistent/keyring"), "\(message)")
            } else {
                #expect(message.contains("'backup-key'") && message.contains("cloudwal-manifest.json.cwenc"), "\(message)")
                #expect(FailureCategory(of: error ?? CancellationError()) == .denied)
            }
            #expect(!message.contains("\n"))
            #expect(!FileManager.default.fileExists(atPath: fixture.dir.path + "/restored"))
        }
    }

    @Test("a flipped byte in a part is corrupt, never restored")
    func tamperedPart() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        try await fixture.writeBackup()
        let path = fixture.dir.path + "/store/" + fixture.layout.backupPrefix(Self.backupID) + "data_0001.tar.gz.cwenc"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = await #expect(throws: (any Error).self) { try await fixture.restore(keys: fixture.keyring) }
        #expect(FailureCategory(of: error ?? CancellationError()) == .corrupt, "\(String(describing: error))")
        #expect("\(error.map { "\($0)" } ?? "")".contains("data_0001.tar.gz.cwenc is corrupt"))
    }

    @Test("a part renamed, or the backup's objects copied into another backup, no longer decrypt")
    func movedParts() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        try await fixture.writeBackup()
        let prefix = fixture.layout.backupPrefix(Self.backupID)
        // Another backup whose folder holds this backup's objects.
        let other = "20260102T000000"
        try await fixture.writeBackup(other)
        for (name, bytes) in try fixture.storedFiles() where name != "backup.info" {
            _ = try await fixture.store.put(fixture.layout.backupPrefix(other) + name, body: bytes, options: PutOptions(createOnly: false))
        }
        let copied = await #expect(throws: (any Error).self) { try await fixture.restore(other, keys: fixture.keyring) }
        #expect(FailureCategory(of: copied ?? CancellationError()) == .corrupt, "\(String(describing: copied))")

        // Within one backup: part 1's bytes stored as part 2.
        let stored = try fixture.storedFiles()
        _ = try await fixture.store.put(
            prefix + "data_0002.tar.gz.cwenc", body: stored["data_0001.tar.gz.cwenc"] ?? [], options: PutOptions(createOnly: false))
        let renamed = await #expect(throws: (any Error).self) { try await fixture.restore(keys: fixture.keyring, into: "again") }
        #expect(FailureCategory(of: renamed ?? CancellationError()) == .corrupt, "\(String(describing: renamed))")
    }

    @Test("encrypted parts need the encrypted manifest: a plain one, or none, is refused before anything is written")
    func manifestMustBeEncrypted() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        try await fixture.writeBackup(plainManifest: true)
        let error = await #expect(throws: (any Error).self) { try await fixture.restore(keys: fixture.keyring) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("cloudwal-manifest.json.cwenc"))
        #expect(!FileManager.default.fileExists(atPath: fixture.dir.path + "/restored"))
        try await fixture.store.delete(fixture.layout.backupPrefix(Self.backupID) + BackupManifest.fileName)
        await #expect(throws: (any Error).self) { try await fixture.restore(keys: fixture.keyring) }
    }

    @Test("a plain backup restores with a keyring that cannot be loaded (restore's keyring may be PostgreSQL's)")
    func plainBackupIgnoresTheKeyring() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        let settings = TarArchiveWriter.Settings(
            store: fixture.store, layout: fixture.layout, backupID: Self.backupID, compression: nil, level: .medium,
            partSize: 5 << 20, jobs: 1, maxArchiveSize: 1 << 30, options: PutOptions())
        let writer = TarArchiveWriter(name: "data", settings: settings, progress: BackupProgress(verb: "", expectedBytes: nil, enabled: false))
        try await writer.add(path: "PG_VERSION", contents: Array("15\n".utf8), mode: 0o600, mtime: 0)
        _ = try await writer.finish()
        var info = BackupInfo(backupID: Self.backupID)
        info.status = .done
        info.endTime = try Timestamp(parsing: "2026-01-01 12:00:00+00:00")
        info.endXLOG = "0/3000100"
        info.timeline = 1
        _ = try await fixture.store.put(fixture.layout.backupInfoKey(Self.backupID), body: info.bytes, options: PutOptions())
        let destination = try await fixture.restore(keys: DeferredKeyring(path: "/nonexistent/keyring"))
        #expect(FileManager.default.fileExists(atPath: destination + "/PG_VERSION"))
    }

    @Test("verify with the keyring reads encrypted parts and WAL; a flipped byte is a failure; without keys the key is named")
    func verifyEncrypted() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        try await fixture.writeBackup()
        let info = try VerifierFileStoreTests.info(Self.backupID, begin: 2, end: 3)
        _ = try await fixture.store.put(fixture.layout.backupInfoKey(Self.backupID), body: info.bytes, options: PutOptions(createOnly: false))
        for number: UInt32 in 2...3 {
            let name = VerifierFileStoreTests.Archive.name(number)
            let bytes = TestData.walSegment(name, size: VerifierFileStoreTests.segmentSize, seed: UInt64(number))
            let sealed = try Sealing.seal(bytes, keyring: fixture.keyring, identity: LogicalIdentity.wal(server: "pg1", walName: name))
            let wal = try #require(WALFileName(name))
            _ = try await fixture.store.put(
                fixture.layout.key(for: wal, compression: nil, encrypted: true), body: sealed, options: PutOptions())
        }
        let request = try VerifyRequest(selection: .all, jobs: 2)
        let verifier = Verifier(store: fixture.store, layout: fixture.layout, logger: TestData.quietLogger, keys: fixture.keyring)
        let good = try await verifier.verify(request)
        #expect(good.failures.isEmpty, "\(good.failures.map(\.message))")
        #expect(good.exitStatus == 0)

        let keyless = Verifier(store: fixture.store, layout: fixture.layout, logger: TestData.quietLogger)
        let error = await #expect(throws: (any Error).self) { try await keyless.verify(request) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("'backup-key'"))

        let path = fixture.dir.path + "/store/" + fixture.layout.backupPrefix(Self.backupID) + "data_0002.tar.gz.cwenc"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 20] ^= 0x80
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let bad = try await verifier.verify(request)
        #expect(bad.exitStatus == 1)
        #expect(bad.failures.contains { $0.key?.hasSuffix("data_0002.tar.gz.cwenc") == true }, "\(bad.failures.map(\.message))")
    }

    @Test("backup-delete removes an encrypted backup whole: its .cwenc tars and manifest too")
    func deleteRemovesEverything() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        try await fixture.writeBackup()
        let catalog = BackupCatalog(store: fixture.store, layout: fixture.layout, logger: TestData.quietLogger)
        let deletion = CatalogDeletion(catalog: catalog, dryRun: false, concurrency: 2, output: { _ in })
        _ = try await deletion.deleteBackup(Self.backupID, minimumRedundancy: 0)
        let left = try await fixture.store.list(prefix: fixture.layout.backupPrefix(Self.backupID), delimiter: nil).objects
        #expect(left.isEmpty, "\(left.map(\.key))")
    }

    @Test func encryptedNamesParse() {
        #expect(BackupTarName.parse("data_0001.tar.gz.cwenc")?.name == "data")
        #expect(BackupTarName.parse("data_0001.tar.gz.cwenc")?.part == 1)
        #expect(BackupTarName.parse("data_0001.tar.gz.cwenc")?.compression == .gzip)
        #expect(BackupTarName.parse("16385.tar.cwenc")?.name == "16385")
        #expect(BackupTarName.parse("16385.tar.cwenc")?.compression == nil)
        #expect(BackupTarName.parse("data.tar.cwenc.gz") == nil)
        let layout = try? ArchiveLayout(prefix: "p", serverName: "pg1")
        #expect(layout?.tarKey("B", name: "data", part: 2, compression: .zstd, encrypted: true) == "p/pg1/base/B/data_0002.tar.zst.cwenc")
        #expect(layout?.backupObjectIdentity(key: "p/pg1/base/B/data_0002.tar.zst.cwenc") == "backup/pg1/B/data_0002.tar.zst")
        #expect(layout?.backupObjectIdentity(backupID: "B", fileName: "cloudwal-manifest.json.cwenc") == "backup/pg1/B/cloudwal-manifest.json")
    }
}
