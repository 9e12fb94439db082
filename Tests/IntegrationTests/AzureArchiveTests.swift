import CloudWAL
import Foundation
import Testing

/// One test's world against the suite's Azure fake: the staged binary, a scratch directory and a
/// container of its own, addressed with barman-cloud's emulator URL form.
struct AzureFixture {
    static let prefix = "pfx/sub"
    static let serverName = "pg1"

    let fake: AzureBlobFake
    let binary: TestBinary
    let dir: TempDirectory
    let container: String
    var url: String { fake.url(container: container, prefix: Self.prefix) }

    static func make(_ hint: String, createContainer: Bool = true) async throws -> AzureFixture {
        let fake = try AzureBlobFake.shared()
        let binary = try TestBinary.prepare()
        let dir: TempDirectory
        do {
            dir = try TempDirectory.make(prefix: "cloudwal-az", ownedByServer: false)
        } catch {
            binary.cleanup()
            throw error
        }
        let fixture = AzureFixture(fake: fake, binary: binary, dir: dir, container: fake.uniqueContainerName(hint))
        if createContainer {
            do { try await fake.createContainer(fixture.container) } catch { fixture.cleanup(); throw error }
        }
        return fixture
    }

    func cleanup() {
        binary.cleanup()
        dir.remove()
    }

    @discardableResult
    func writeWAL(_ name: String, _ data: Data) throws -> String {
        let folder = dir.path + "/pg_wal"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    func destination(_ name: String = "RECOVERYXLOG") throws -> String {
        let folder = dir.path + "/restore-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder + "/" + name
    }

    func key(_ name: String, ext: String = "") -> String {
        WALFixture.key(prefix: Self.prefix, server: Self.serverName, name: name, ext: ext)
    }

    static let provider = ["--cloud-provider", "azure-blob-storage"]

    func archive(_ walPath: String, _ options: [String] = [], url: String? = nil,
                 env: [String: String]? = nil) async throws -> ProcessResult {
        try await binary.run(Self.provider + options + [url ?? self.url, Self.serverName, walPath],
                             as: "cloud-wal-archive", env: env ?? fake.environment())
    }

    func restore(_ walName: String, to dest: String, _ options: [String] = [], url: String? = nil,
                 env: [String: String]? = nil) async throws -> ProcessResult {
        try await binary.run(Self.provider + options + [url ?? self.url, Self.serverName, walName, dest],
                             as: "cloud-wal-restore", env: env ?? fake.environment())
    }

    func connectivityTest(_ tool: String, url: String? = nil, env: [String: String]? = nil) async throws -> ProcessResult {
        try await binary.run(Self.provider + ["-t", url ?? self.url, Self.serverName], as: tool, env: env ?? fake.environment())
    }

    func blobs() async throws -> [String: AzureBlobFake.BlobState] {
        try await fake.blobs(container) ?? [:]
    }
}

/// The fake itself, checked with Microsoft's azure-storage-blob SDK: if the SDK and the fake
/// agree, our store is tested against something that behaves like the service.
@Suite("Azure Blob fake agrees with Microsoft's SDK", .serialized, .azureBlobFake)
struct AzureFakeSDKTests {
    @Test func sdkRoundTripsSASAndWrongKey() async throws {
        let fake = try AzureBlobFake.shared()
        let result = try await fake.runSDKCheck()
        #expect(result.status == 0, "azure_sdk_check.py: \(lastLines(result.stdout, lines: 20))\n\(lastLines(result.stderr, lines: 20))")
        #expect(result.stdout.contains("all ok"))
        #expect(result.stdout.contains("ok wrong key refused"))
    }
}

/// The archive/restore contract against the Blob service (the fake): keys, compression, metadata,
/// tags, duplicates, exit codes. Drives the built binary as archive_command/restore_command would.
@Suite("Azure archive and restore (Blob fake)", .serialized, .azureBlobFake)
struct AzureArchiveTests {
    static let segment = "000000010000000000000002"

    @Test(arguments: WALFixture.compressions)
    func roundTripIsByteIdenticalAtBarmansKey(compression: WALFixture.Compression) async throws {
        let fx = try await AzureFixture.make("rt-\(compression.name)")
        defer { fx.cleanup() }
        let content = WALFixture.segmentBytes(Self.segment, seed: UInt64(compression.name.utf8.count) * 7 + 5)
        let wal = try fx.writeWAL(Self.segment, content)

        let archived = try await fx.archive(wal, compression.flags)
        #expect(archived.status == 0, "archive \(compression.name): \(archived.stderr)")
        try #require(archived.status == 0)

        let key = fx.key(Self.segment, ext: compression.ext)
        let blobs = try await fx.blobs()
        #expect(Array(blobs.keys) == [key], "expected exactly barman's key")
        let blob = try #require(blobs[key])
        // Stored under the Azure-legal name, read back as cloudwal-sha256 (restore verifies it).
        #expect(blob.metadata["cloudwal_sha256"] == (try await sha256Hex(wal)))
        if compression.name == "none" {
            #expect(try await fx.fake.blobData(fx.container, key) == content)
        } else {
            #expect(blob.size < content.count, "\(compression.name) did not compress")
        }

        let dest = try fx.destination()
        let restored = try await fx.restore(Self.segment, to: dest)
        #expect(restored.status == 0, "restore \(compression.name): \(restored.stderr)")
        #expect(fileData(dest) == content, "restored bytes differ (\(compression.name))")
    }

    @Test func historyPartialAndMissing() async throws {
        let fx = try await AzureFixture.make("hist")
        defer { fx.cleanup() }
        let history = Data("1\t0/3000000\tno recovery target specified\n".utf8)
        let historyPath = try fx.writeWAL("00000002.history", history)
        let partial = WALFixture.segmentBytes("000000010000000000000003.partial", seed: 42)
        let partialPath = try fx.writeWAL("000000010000000000000003.partial", partial)
        #expect(try await fx.archive(historyPath).status == 0)
        #expect(try await fx.archive(partialPath, ["-z"]).status == 0)
        // A few more objects, so the listings cross the fake's two-entry pages.
        for n in 4...6 {
            let name = "00000001000000000000000\(n)"
            #expect(try await fx.archive(try fx.writeWAL(name, WALFixture.segmentBytes(name, seed: UInt64(n)))).status == 0)
        }

        let historyDest = try fx.destination()
        let gotHistory = try await fx.restore("00000002.history", to: historyDest)
        #expect(gotHistory.status == 0, "\(gotHistory.stderr)")
        #expect(fileData(historyDest) == history)

        let segmentDest = try fx.destination()
        let gotPartial = try await fx.restore("000000010000000000000003", to: segmentDest)
        #expect(gotPartial.status == 0, "\(gotPartial.stderr)")
        #expect(fileData(segmentDest) == partial)

        let missing = try await fx.restore("00000003.history", to: try fx.destination())
        #expect(missing.status == 1, "\(missing.stderr)")
        let missingSegment = try await fx.restore("000000010000000000000009", to: try fx.destination())
        #expect(missingSegment.status == 1, "\(missingSegment.stderr)")
    }

    @Test func tagsBecomeIndexTags() async throws {
        let fx = try await AzureFixture.make("tags")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 5))
        let result = try await fx.archive(wal, ["--tag", "env,ci", "--tag", "team, db ops", "--zstd"])
        #expect(result.status == 0, "\(result.stderr)")
        let blob = try #require(try await fx.blobs()[fx.key(Self.segment, ext: ".zst")])
        #expect(blob.tags == ["env": "ci", "team": "db ops"])
    }

    @Test func encryptionScopeIsSent() async throws {
        let fx = try await AzureFixture.make("scope")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 6))
        let result = try await fx.archive(wal, ["--encryption-scope", "wal-scope"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try await fx.blobs()[fx.key(Self.segment)]?.scope == "wal-scope")
    }

    /// `--max-single-put-size` below the segment size: Put Block + Put Block List, several blocks
    /// at once, and the blob still restores byte-identically.
    @Test func blockUploadAboveMaxSinglePutSize() async throws {
        let fx = try await AzureFixture.make("blocks")
        defer { fx.cleanup() }
        let content = WALFixture.segmentBytes(Self.segment, seed: 77)
        let wal = try fx.writeWAL(Self.segment, content)
        let result = try await fx.archive(
            wal, ["--max-single-put-size", "256KB", "--max-block-size", "128KB", "--max-concurrency", "4"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try await fx.fake.blobData(fx.container, fx.key(Self.segment)) == content)
        let requests = try await fx.fake.requests().filter { $0.path.contains(fx.container) }
        #expect(requests.filter { $0.query["comp"] == "block" && $0.status == 201 }.count == 8)
        #expect(requests.filter { $0.query["comp"] == "blocklist" && $0.status == 201 }.count == 1)
        let dest = try fx.destination()
        #expect(try await fx.restore(Self.segment, to: dest).status == 0)
        #expect(fileData(dest) == content)
    }

    @Test func connectivityTestExitCodes() async throws {
        let fx = try await AzureFixture.make("conn")
        defer { fx.cleanup() }
        let missing = fx.fake.url(container: fx.fake.uniqueContainerName("absent"), prefix: "p")
        var deadEnv = fx.fake.environment()
        let deadEndpoint = "http://127.0.0.1:\(try Network.freeLoopbackPort())/\(fx.fake.account)"
        deadEnv["AZURE_STORAGE_CONNECTION_STRING"] =
            "DefaultEndpointsProtocol=http;AccountName=\(fx.fake.account);AccountKey=\(fx.fake.key);BlobEndpoint=\(deadEndpoint);"
        for tool in ["cloud-wal-archive", "cloud-wal-restore"] {
            let ok = try await fx.connectivityTest(tool)
            #expect(ok.status == 0, "\(tool) -t existing container: \(ok.stderr)")
            let absent = try await fx.connectivityTest(tool, url: missing)
            #expect(absent.status == 1, "\(tool) -t missing container: \(absent.stderr)")
            let down = try await fx.connectivityTest(tool, env: deadEnv)
            #expect(down.status == 2, "\(tool) -t closed port: \(down.stderr)")
        }
    }

    @Test func sameContentAgainIsOKWithWarningDifferentContentIsRefused() async throws {
        let fx = try await AzureFixture.make("dup")
        defer { fx.cleanup() }
        let original = WALFixture.segmentBytes(Self.segment, seed: 11)
        let wal = try fx.writeWAL(Self.segment, original)
        #expect(try await fx.archive(wal).status == 0)

        let again = try await fx.archive(wal)
        #expect(again.status == 0, "same content again: \(again.stderr)")
        #expect(again.stderr.contains("WARNING"), "no WARNING for an already archived segment: \(again.stderr)")

        let before = try #require(try await fx.blobs()[fx.key(Self.segment)])
        try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 12))
        let different = try await fx.archive(wal)
        #expect(different.status == 1, "different content: \(different.stderr)")
        #expect(try await fx.fake.blobData(fx.container, fx.key(Self.segment)) == original, "the archived blob was changed")
        #expect(try await fx.blobs()[fx.key(Self.segment)]?.etag == before.etag)

        let zwal = try fx.writeWAL("000000010000000000000005", WALFixture.segmentBytes("000000010000000000000005", seed: 13))
        #expect(try await fx.archive(zwal, ["-z"]).status == 0)
        try fx.writeWAL("000000010000000000000005", WALFixture.segmentBytes("000000010000000000000005", seed: 14))
        let zdifferent = try await fx.archive(zwal, ["-z"])
        #expect(zdifferent.status == 1, "different content, gzip: \(zdifferent.stderr)")
    }

    @Test func wrongKeyFailsWithOneLineWithoutTheKey() async throws {
        let fx = try await AzureFixture.make("badkey")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 3))
        let wrongKey = Data((0..<64).map { UInt8($0) }).base64EncodedString()
        // archive: 1 (failure); restore: 4 (other failure), as barman-cloud.
        for (run, expected) in [
            (try await fx.archive(wal, env: fx.fake.environment(key: wrongKey)), Int32(1)),
            (try await fx.restore(Self.segment, to: try fx.destination(), env: fx.fake.environment(key: wrongKey)), 4),
        ] {
            #expect(run.status == expected, "wrong key: \(run.stderr)")
            #expect(run.stderr.contains("AuthenticationFailed"), "\(run.stderr)")
            #expect(!run.stderr.contains(wrongKey) && !run.stderr.contains(fx.fake.key))
            let lines = run.stderr.split(separator: "\n").filter { $0.contains("ERROR") }
            #expect(lines.count == 1, "expected one error line: \(run.stderr)")
        }
        #expect(try await fx.blobs().isEmpty)
    }

    @Test func emulatorURLWithoutConnectionStringIsAnInputError() async throws {
        let fx = try await AzureFixture.make("noconn")
        defer { fx.cleanup() }
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 4))
        var env = fx.fake.environment()
        env["AZURE_STORAGE_CONNECTION_STRING"] = ""
        let result = try await fx.archive(wal, env: env)
        #expect(result.status != 0)
        #expect(result.stderr.contains("AZURE_STORAGE_CONNECTION_STRING"), "\(result.stderr)")
    }
}
