import CloudWAL
import Foundation
import Testing

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

/// What only Azure has, on the Blob fake: encryption scopes, Put Block uploads, Shared Key
/// refusals and the emulator URL form's need for a connection string. The archive/restore
/// contract shared with the other backends is `WALArchiveTests`; the store contract is
/// `StorageContractTests`.
@Suite("Azure archive specifics (Blob fake)", .serialized, .azureBlobFake)
struct AzureArchiveTests {
    static let segment = "000000010000000000000002"

    @Test func encryptionScopeIsSent() async throws {
        let fx = try await ArchiveFixture.make(.azure, "scope")
        defer { fx.cleanup() }
        let fake = try AzureBlobFake.shared()
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 6))
        let result = try await fx.archive(wal, ["--encryption-scope", "wal-scope"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try await (fake.blobs(fx.bucket) ?? [:])[fx.key(Self.segment)]?.scope == "wal-scope")
    }

    /// `--max-single-put-size` below the segment size: Put Block + Put Block List, several blocks
    /// at once, and the blob still restores byte-identically.
    @Test func blockUploadAboveMaxSinglePutSize() async throws {
        let fx = try await ArchiveFixture.make(.azure, "blocks")
        defer { fx.cleanup() }
        let fake = try AzureBlobFake.shared()
        let content = WALFixture.segmentBytes(Self.segment, seed: 77)
        let wal = try fx.writeWAL(Self.segment, content)
        let result = try await fx.archive(
            wal, ["--max-single-put-size", "256KB", "--max-block-size", "128KB", "--max-concurrency", "4"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try await fake.blobData(fx.bucket, fx.key(Self.segment)) == content)
        let requests = try await fake.requests().filter { $0.path.contains(fx.bucket) }
        #expect(requests.filter { $0.query["comp"] == "block" && $0.status == 201 }.count == 8)
        #expect(requests.filter { $0.query["comp"] == "blocklist" && $0.status == 201 }.count == 1)
        let dest = try fx.destination()
        #expect(try await fx.restore(Self.segment, to: dest).status == 0)
        #expect(fileData(dest) == content)
    }

    @Test func wrongKeyFailsWithOneLineWithoutTheKey() async throws {
        let fx = try await ArchiveFixture.make(.azure, "badkey")
        defer { fx.cleanup() }
        let fake = try AzureBlobFake.shared()
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 3))
        let wrongKey = Data((0..<64).map { UInt8($0) }).base64EncodedString()
        // archive: 1 (failure); restore: 4 (other failure), as barman-cloud.
        for (run, expected) in [
            (try await fx.archive(wal, env: fake.environment(key: wrongKey)), Int32(1)),
            (try await fx.restore(Self.segment, to: try fx.destination(), env: fake.environment(key: wrongKey)), 4),
        ] {
            #expect(run.status == expected, "wrong key: \(run.stderr)")
            #expect(run.stderr.contains("AuthenticationFailed"), "\(run.stderr)")
            #expect(!run.stderr.contains(wrongKey) && !run.stderr.contains(fake.key))
            let lines = run.stderr.split(separator: "\n").filter { $0.contains("ERROR") }
            #expect(lines.count == 1, "expected one error line: \(run.stderr)")
        }
        #expect(try await (fake.blobs(fx.bucket) ?? [:]).isEmpty)
    }

    @Test func emulatorURLWithoutConnectionStringIsAnInputError() async throws {
        let fx = try await ArchiveFixture.make(.azure, "noconn")
        defer { fx.cleanup() }
        let fake = try AzureBlobFake.shared()
        let wal = try fx.writeWAL(Self.segment, WALFixture.segmentBytes(Self.segment, seed: 4))
        var env = fake.environment()
        env["AZURE_STORAGE_CONNECTION_STRING"] = ""
        let result = try await fx.archive(wal, env: env)
        #expect(result.status != 0)
        #expect(result.stderr.contains("AZURE_STORAGE_CONNECTION_STRING"), "\(result.stderr)")
    }
}
