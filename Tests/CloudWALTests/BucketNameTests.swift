import CloudWAL
import Testing

/// Per-provider bucket, container and account names, checked when a URL is parsed (no network).
@Suite("Bucket and container names")
struct BucketNameTests {
    @Test(arguments: ["abc", "my-bucket", "my.bucket.v2", "0bucket9", String(repeating: "a", count: 63)])
    func validS3Names(name: String) throws {
        #expect(S3BucketName.problem(with: name) == nil)
        #expect(try StorageURL(parsing: "s3://\(name)/p", provider: nil).location == .s3(bucket: name))
    }

    @Test(arguments: [
        "UPPER_CASE", "bu cket", "ab", String(repeating: "a", count: 64), "-bucket", "bucket-", ".bucket",
        "my..bucket", "192.168.1.1", "bucket_1", "bücket", "bucket:9000",
    ])
    func invalidS3Names(name: String) {
        #expect(S3BucketName.problem(with: name) != nil)
        #expect {
            try StorageURL(parsing: "s3://\(name)/p", provider: nil)
        } throws: { ($0 as? StorageError)?.kind == .invalidRequest }
    }

    @Test(arguments: ["abc", "my_bucket", "a.b.c", "cw-t-1x2", String(repeating: "a", count: 63) + ".example.com"])
    func validGCSNames(name: String) throws {
        #expect(GCSBucketName.problem(with: name) == nil)
        #expect(try StorageURL(parsing: "gs://\(name)/p", provider: nil).location == .gcs(bucket: name))
    }

    @Test(arguments: [
        "UPPER", "ab", String(repeating: "a", count: 64), "_bucket", "bucket_", "a..b", "10.0.0.1",
        String(repeating: "a", count: 64) + ".com", String(repeating: "abcdefgh.", count: 25) + "x", "bu cket",
    ])
    func invalidGCSNames(name: String) {
        #expect(GCSBucketName.problem(with: name) != nil)
        #expect {
            try StorageURL(parsing: "gs://\(name)/p", provider: nil)
        } throws: { ($0 as? StorageError)?.kind == .invalidRequest }
    }

    @Test func azureAccountsAndContainers() throws {
        #expect(AzureStorageName.accountProblem(with: "acct01") == nil)
        for bad in ["ab", "Acct", "my-acct", String(repeating: "a", count: 25)] {
            #expect(AzureStorageName.accountProblem(with: bad) != nil, "\(bad)")
        }
        for good in ["wal", "cw-rt-none-1x", "a1b", "$root", String(repeating: "a", count: 63)] {
            #expect(AzureStorageName.containerProblem(with: good) == nil, "\(good)")
        }
        for bad in ["ab", "Wal", "a--b", "-wal", "wal-", "w_l", String(repeating: "a", count: 64)] {
            #expect(AzureStorageName.containerProblem(with: bad) != nil, "\(bad)")
        }
        #expect(throws: StorageError.self) {
            try StorageURL(parsing: "https://My_Acct.blob.core.windows.net/wal/p", provider: nil)
        }
        #expect(throws: StorageError.self) {
            try StorageURL(parsing: "https://acct.blob.core.windows.net/Wal/p", provider: nil)
        }
        #expect(throws: StorageError.self) {
            try StorageURL(parsing: "http://127.0.0.1:10000/devstoreaccount1/a--b/p", provider: .azureBlobStorage)
        }
        // The emulator's account is its own business; its container is Azure's.
        let emulator = try StorageURL(parsing: "http://127.0.0.1:10000/devstoreaccount1/wal/p", provider: .azureBlobStorage)
        #expect(emulator.location == .azure(endpoint: "http://127.0.0.1:10000/devstoreaccount1", container: "wal", isEmulator: true))
    }

    @Test(arguments: [
        "s3://user:pw@bucket/p", "gs://user:pw@bucket/p", "https://user:pw@acct.blob.core.windows.net/wal/p",
        "s3://:pw@bucket", "file://user:pw@/srv",
    ])
    func credentialsInAURLAreRefusedAndNeverRepeated(url: String) {
        #expect {
            try StorageURL(parsing: url, provider: nil)
        } throws: { error in
            guard let error = error as? StorageError else { return false }
            return error.kind == .invalidRequest && !error.message.contains("pw") && error.message.contains("credentials")
                && !error.message.contains("\n")
        }
    }

    @Test func descriptionsMaskSecrets() throws {
        #expect(StorageURL.redacted("s3://user:pw@bucket/p") == "s3://***@bucket/p")
        #expect(StorageURL.redacted("https://acct.blob.core.windows.net/wal?sv=1&sig=abc") == "https://acct.blob.core.windows.net/wal***")
        #expect(StorageURL.redacted("s3://bucket/p/a@b") == "s3://bucket/p/a@b")
        // A signed query never shows in an error, even when the name it follows is refused.
        #expect {
            try StorageURL(parsing: "https://acct.blob.core.windows.net/wal?sig=SECRET", provider: nil)
        } throws: { !"\($0)".contains("SECRET") }
        #expect(try StorageURL(parsing: "s3://bucket/p", provider: nil).description == "s3://bucket/p")
    }
}
