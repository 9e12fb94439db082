import Foundation
import Testing

/// barman-cloud 3.19.1 with `--cloud-provider azure-blob-storage`, talking to the Azure fake
/// through azure-storage-blob with `AZURE_STORAGE_CONNECTION_STRING`.
struct AzureBarmanCloud: Sendable {
    let fake: AzureBlobFake
    let archiveTool: String
    let restoreTool: String

    init(fake: AzureBlobFake) throws {
        self.fake = fake
        archiveTool = try TestVenv.tool("barman-cloud-wal-archive")
        restoreTool = try TestVenv.tool("barman-cloud-wal-restore")
    }

    func archive(url: String, walPath: String, options: [String] = []) async throws -> ProcessResult {
        try await ProcessRunner.run(
            archiveTool, AzureFixture.provider + options + [url, AzureFixture.serverName, walPath],
            environment: fake.environment(), timeout: .seconds(120))
    }

    /// Always with a fresh `--spool-dir` (the default /var/tmp/walrestore is machine-wide).
    func restore(url: String, walName: String, destination: String) async throws -> ProcessResult {
        let spool = try TempDirectory.make(prefix: "cloudwal-spool", ownedByServer: false)
        defer { spool.remove() }
        return try await ProcessRunner.run(
            restoreTool,
            AzureFixture.provider + ["--spool-dir", spool.path, url, AzureFixture.serverName, walName, destination],
            environment: fake.environment(), timeout: .seconds(120))
    }

    func checkedArchive(url: String, walPath: String, options: [String] = []) async throws {
        let result = try await archive(url: url, walPath: walPath, options: options)
        guard result.succeeded else {
            throw HarnessError("barman-cloud-wal-archive (azure) \(options) \(walPath) exited \(result.status): "
                               + lastLines(result.stderr, lines: 10))
        }
    }
}

/// Whatever one tool archives to Azure, the other restores byte-identically.
@Suite("barman-cloud interoperability over Azure (Blob fake)", .serialized, .azureBlobFake)
struct AzureBarmanInteropTests {
    static let segment = "000000010000000000000004"
    static let compressions = [WALFixture.compressions[0], WALFixture.compressions[1], WALFixture.compressions[4],
                               WALFixture.compressions[5]]

    @Test(arguments: compressions)
    func oursArchivesBarmanRestores(compression: WALFixture.Compression) async throws {
        let fx = try await AzureFixture.make("ob-\(compression.name)")
        defer { fx.cleanup() }
        let barman = try AzureBarmanCloud(fake: fx.fake)
        let content = WALFixture.segmentBytes(Self.segment, seed: 200 + UInt64(compression.name.utf8.count))
        let wal = try fx.writeWAL(Self.segment, content)
        let archived = try await fx.archive(wal, compression.flags)
        #expect(archived.status == 0, "cloud-wal-archive \(compression.name): \(archived.stderr)")
        try #require(archived.status == 0)
        #expect(Array(try await fx.blobs().keys) == [fx.key(Self.segment, ext: compression.ext)])

        let dest = try fx.destination()
        let restored = try await barman.restore(url: fx.url, walName: Self.segment, destination: dest)
        #expect(restored.status == 0, "barman-cloud-wal-restore of our \(compression.name): \(restored.stderr)")
        #expect(fileData(dest) == content, "barman restored different bytes (\(compression.name))")
    }

    @Test(arguments: compressions)
    func barmanArchivesOursRestores(compression: WALFixture.Compression) async throws {
        let fx = try await AzureFixture.make("bo-\(compression.name)")
        defer { fx.cleanup() }
        let barman = try AzureBarmanCloud(fake: fx.fake)
        let content = WALFixture.segmentBytes(Self.segment, seed: 300 + UInt64(compression.name.utf8.count))
        let wal = try fx.writeWAL(Self.segment, content)
        try await barman.checkedArchive(url: fx.url, walPath: wal, options: compression.flags)
        #expect(Array(try await fx.blobs().keys) == [fx.key(Self.segment, ext: compression.ext)])

        let dest = try fx.destination()
        let restored = try await fx.restore(Self.segment, to: dest)
        #expect(restored.status == 0, "cloud-wal-restore of barman's \(compression.name): \(restored.stderr)")
        #expect(fileData(dest) == content, "we restored different bytes (\(compression.name))")
    }

    @Test func historyFilesBothWays() async throws {
        let fx = try await AzureFixture.make("hist")
        defer { fx.cleanup() }
        let barman = try AzureBarmanCloud(fake: fx.fake)
        let ours = Data("1\t0/5000000\tno recovery target specified\n".utf8)
        let theirs = Data("1\t0/5000000\tno recovery target specified\n2\t0/7000000\tbefore 2026-01-01\n".utf8)
        let oursPath = try fx.writeWAL("00000002.history", ours)
        let theirsPath = try fx.writeWAL("00000003.history", theirs)

        let archived = try await fx.archive(oursPath)
        #expect(archived.status == 0, "\(archived.stderr)")
        try await barman.checkedArchive(url: fx.url, walPath: theirsPath)
        #expect(try await fx.blobs().keys.sorted() == [fx.key("00000002.history"), fx.key("00000003.history")])

        let barmanDest = try fx.destination()
        let byBarman = try await barman.restore(url: fx.url, walName: "00000002.history", destination: barmanDest)
        #expect(byBarman.status == 0, "\(byBarman.stderr)")
        #expect(fileData(barmanDest) == ours)

        let oursDest = try fx.destination()
        let byUs = try await fx.restore("00000003.history", to: oursDest)
        #expect(byUs.status == 0, "\(byUs.stderr)")
        #expect(fileData(oursDest) == theirs)
    }
}
