import CloudWAL
import Testing

@Suite("Storage URLs, split as barman-cloud splits them")
struct StorageURLTests {
    @Test func fileURL() throws {
        let url = try StorageURL(parsing: "file:///srv/wal%20archive/", provider: nil)
        #expect(url.location == .fileSystem(root: "/srv/wal archive"))
        #expect(url.prefix == "")
        #expect(try StorageURL(parsing: "file://localhost/srv", provider: nil).location == .fileSystem(root: "/srv"))
    }

    @Test(arguments: ["file://relative/path", "file:relative", "srv/archive", "ftp://host/x", "s3://", "file://host/x"])
    func rejectsBadURLs(text: String) {
        #expect(throws: StorageError.self) { try StorageURL(parsing: text, provider: nil) }
    }

    @Test func s3URL() throws {
        let url = try StorageURL(parsing: "s3://bucket/a/b/", provider: .awsS3)
        #expect(url.location == .s3(bucket: "bucket"))
        #expect(url.prefix == "a/b/")
        #expect(try StorageURL(parsing: "s3://bucket", provider: nil).prefix == "")
    }

    @Test func providerMustMatchScheme() {
        #expect(throws: StorageError.self) { try StorageURL(parsing: "s3://b/p", provider: .googleCloudStorage) }
        #expect(throws: StorageError.self) { try StorageURL(parsing: "gs://b/p", provider: .awsS3) }
    }

    @Test func gcsURLs() throws {
        #expect(try StorageURL(parsing: "gs://bkt/a/b/", provider: nil).location == .gcs(bucket: "bkt"))
        #expect(try StorageURL(parsing: "gs://bkt/a/b/", provider: nil).prefix == "a/b")
        let console = try StorageURL(
            parsing: "https://console.cloud.google.com/storage/browser/bkt/a/b", provider: .googleCloudStorage)
        #expect(console.location == .gcs(bucket: "bkt"))
        #expect(console.prefix == "a/b")
    }

    @Test func azureURLs() throws {
        let cloud = try StorageURL(parsing: "https://acct.blob.core.windows.net/cont/a/b", provider: .azureBlobStorage)
        #expect(cloud.location == .azure(endpoint: "https://acct.blob.core.windows.net", container: "cont", isEmulator: false))
        #expect(cloud.prefix == "a/b")
        let emulator = try StorageURL(parsing: "http://127.0.0.1:10000/devacct/cont/p", provider: .azureBlobStorage)
        #expect(emulator.location == .azure(endpoint: "http://127.0.0.1:10000/devacct", container: "cont", isEmulator: true))
        #expect(emulator.prefix == "p")
    }
}
