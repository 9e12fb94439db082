import Foundation
import Testing

/// Invalid bucket and container names are bad input before any connection: exit 3, one line,
/// and credentials written into a URL never appear in the output.
@Suite("Bucket names on the command line")
struct BucketNameCLITests {
    static let secret = "s3cr3tPW"

    @Test(arguments: [
        "s3://UPPER_CASE/p", "s3://bu cket/p", "s3://user:\(secret)@bucket/p", "gs://Bad_Bucket/p",
        "gs://user:\(secret)@bucket/p", "https://Bad_Account.blob.core.windows.net/wal/p",
        "https://acct.blob.core.windows.net/a--b/p", "https://user:\(secret)@acct.blob.core.windows.net/wal/p",
    ])
    func invalidNamesAreBadInput(url: String) async throws {
        let binary = try TestBinary.prepare()
        defer { binary.cleanup() }
        let dir = try TempDirectory.make(prefix: "cloudwal-names", ownedByServer: false)
        defer { dir.remove() }
        let wal = dir.path + "/000000010000000000000002"
        try WALFixture.segmentBytes("000000010000000000000002", seed: 1).write(to: URL(fileURLWithPath: wal))
        // A closed port as endpoint: a connection attempt would fail with 2, not 3.
        let endpoint = ["--endpoint-url", "http://127.0.0.1:9"]
        let s3 = url.hasPrefix("s3://")
        for (name, args) in [
            ("cloud-wal-archive", (s3 ? endpoint : []) + [url, "pg1", wal]),
            ("cloud-wal-restore", (s3 ? endpoint : []) + [url, "pg1", "000000010000000000000002", dir.path + "/out"]),
        ] {
            let result = try await binary.run(args, as: name, timeout: .seconds(60))
            let output = result.stdout + result.stderr
            #expect(result.status == 3, "\(name) \(url): \(output)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(name) \(url): \(output)")
            #expect(!output.contains(Self.secret), "\(name) echoed the credentials: \(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out"))
    }
}
