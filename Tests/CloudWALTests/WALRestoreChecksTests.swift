import CloudWAL
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Header and cluster checks on the library's archive and restore paths, against file://.
@Suite("wal-archive and wal-restore content checks")
struct WALRestoreChecksTests {
    static let name = "000000010000000000000003"
    static let key = "pg1/wals/0000000100000000/000000010000000000000003"

    struct Fixture: FileArchiveFixture {
        let base: FileArchive

        init() throws {
            base = try FileArchive()
        }

        func archive(_ bytes: [UInt8], as name: String = WALRestoreChecksTests.name) async throws -> WALArchiver.Outcome {
            let path = try dir.write(bytes, to: "pg_wal/\(name)")
            return try await WALArchiver(store: store, layout: layout, configuration: .init(), logger: TestData.quietLogger)
                .archive(walPath: path)
        }

        func restorer(dataDirectory: String? = nil, spool: WALSpool? = nil) -> WALRestorer {
            WALRestorer(store: store, layout: layout, spool: spool, dataDirectory: dataDirectory, logger: TestData.quietLogger)
        }

        /// A directory that looks like PostgreSQL's data directory of the cluster `systemIdentifier`.
        func dataDirectory(systemIdentifier: UInt64) throws -> String {
            _ = try dir.write(Array("15\n".utf8), to: "pgdata/PG_VERSION")
            var control = withUnsafeBytes(of: systemIdentifier.littleEndian) { [UInt8]($0) }
            control += [UInt8](repeating: 0, count: 8184)
            _ = try dir.write(control, to: "pgdata/global/pg_control")
            return dir.path + "/pgdata"
        }
    }

    @Test func archivingRecordsTheSystemIdentifierAndRefusesARenamedSegment() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        _ = try await fx.archive(TestData.walSegment(Self.name, seed: 1))
        #expect(try await fx.store.head(Self.key)?.metadata[ObjectMetadataKey.systemIdentifier]
            == String(TestData.systemIdentifier))
        await #expect {
            try await fx.archive(TestData.walSegment(Self.name, seed: 2), as: "000000010000000000000004")
        } throws: { error in
            guard let error = error as? WALError else { return false }
            return error.kind == .corrupt && error.message.contains("another segment")
        }
        #expect(try await fx.store.list(prefix: "", delimiter: nil).objects.map(\.key) == [Self.key])
        // History files are text: no header, no system identifier.
        _ = try await fx.archive(Array("1\t0/3000000\tno recovery target specified\n".utf8), as: "00000002.history")
        #expect(try await fx.store.head("pg1/wals/00000002.history")?.metadata[ObjectMetadataKey.systemIdentifier] == nil)
    }

    @Test func anUnknownMagicIsArchivedAndRestored() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let content = TestData.walSegment(Self.name, seed: 3, magic: 0xD2FF)
        guard case .archived = try await fx.archive(content) else { Issue.record("not archived"); return }
        _ = try await fx.restorer().restore(walName: Self.name, to: fx.dir.path + "/out")
        #expect(try fx.dir.read("out") == content)
    }

    @Test func aRenamedObjectIsNeverRestored() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        // Stored without metadata, as barman-cloud would: only the header tells the names apart.
        let other = "pg1/wals/0000000100000000/000000010000000000000009"
        _ = try await fx.store.put(other, body: TestData.walSegment(Self.name, seed: 4), options: PutOptions())
        await #expect {
            try await fx.restorer().restore(walName: "000000010000000000000009", to: fx.dir.path + "/RECOVERYXLOG")
        } throws: { ($0 as? WALError)?.kind == .corrupt }
        #expect(!FileSystemOps.exists(fx.dir.path + "/RECOVERYXLOG"))
        #expect(try FileSystemOps.contents(of: fx.dir.path).map(\.name).sorted() == ["archive"])
    }

    @Test func anotherClustersWALIsRefusedInThisDataDirectory() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let content = TestData.walSegment(Self.name, seed: 5)
        _ = try await fx.archive(content)
        let foreign = try fx.dataDirectory(systemIdentifier: 42)
        await #expect {
            try await fx.restorer(dataDirectory: foreign).restore(walName: Self.name, to: fx.dir.path + "/out")
        } throws: { error in
            guard let error = error as? WALError else { return false }
            return error.kind == .corrupt && error.message.contains("system identifier")
        }
        #expect(!FileSystemOps.exists(fx.dir.path + "/out"))
        let own = try fx.dataDirectory(systemIdentifier: TestData.systemIdentifier)
        _ = try await fx.restorer(dataDirectory: own).restore(walName: Self.name, to: fx.dir.path + "/out")
        #expect(try fx.dir.read("out") == content)
    }

    @Test func aSpooledFileIsCheckedBeforeItIsHandedOver() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        let content = TestData.walSegment(Self.name, seed: 6)
        _ = try await fx.archive(content)
        let spool = WALSpool(baseDirectory: fx.dir.path + "/spool", archiveIdentity: "file:///a pg1", parallel: 2)
        // Someone else's segment sits in the spool under this name, written in this boot (so only
        // the header check can refuse it): it is dropped, the archive's copy restored.
        let folder = "spool/\(FileSystemOps.baseName(of: spool.directory))"
        _ = try fx.dir.write(TestData.walSegment("000000010000000000000007", seed: 7), to: "\(folder)/\(Self.name)")
        _ = try fx.dir.write(Array(try #require(BootIdentity.current()).utf8), to: "\(folder)/\(WALSpool.bootMarkFileName)")
        let outcome = try await fx.restorer(spool: spool).restore(walName: Self.name, to: fx.dir.path + "/out")
        guard case .restored = outcome else { Issue.record("served from the spool: \(outcome)"); return }
        #expect(try fx.dir.read("out") == content)
        #expect(!FileSystemOps.exists(spool.path(for: Self.name)))
    }

    @Test func abandonedTemporaryFilesBesideTheDestinationAndInTheSpoolAreRemoved() async throws {
        let fx = try Fixture()
        defer { fx.dir.remove() }
        _ = try await fx.archive(TestData.walSegment(Self.name, seed: 8))
        let spool = WALSpool(baseDirectory: fx.dir.path + "/spool", archiveIdentity: "file:///a pg1", parallel: 2)
        let old = Int(Date().timeIntervalSince1970) - 7200
        let besides = ".RECOVERYXLOG.cloud-wal-tmp.\(getpid()).\(old).x1"
        let spooled = ".000000010000000000000004.cloud-wal-tmp.\(getpid()).\(old).x2"
        _ = try fx.dir.write([1], to: "pg_wal/\(besides)")
        _ = try fx.dir.write([1], to: "pg_wal/.keep")
        _ = try fx.dir.write([1], to: "spool/\(FileSystemOps.baseName(of: spool.directory))/\(spooled)")
        _ = try await fx.restorer(spool: spool).restore(walName: Self.name, to: fx.dir.path + "/pg_wal/RECOVERYXLOG")
        #expect(try FileSystemOps.contents(of: fx.dir.path + "/pg_wal").map(\.name).sorted()
            == [".keep", Self.name, "RECOVERYXLOG"])
        #expect(!FileSystemOps.exists(spool.directory + "/" + spooled))
    }
}
