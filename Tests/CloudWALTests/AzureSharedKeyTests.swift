import CloudWAL
import Testing

/// Shared Key signing, checked against signatures computed by Microsoft's own implementation
/// (azure-storage-blob 12.31.1, `SharedKeyCredentialPolicy`, for the same requests) and against
/// the string-to-sign layout of "Authorize with Shared Key".
@Suite("Azure Shared Key signer")
struct AzureSharedKeyTests {
    /// Azurite's published development key (not a secret).
    static let key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

    static func authorization(_ request: HTTPRequest, contentLength: Int) throws -> String {
        let signer = try #require(AzureSharedKeySigner(account: "devstoreaccount1", base64Key: key))
        var signed = request
        signer.sign(&signed, contentLength: contentLength)
        return try #require(signed.headers.last?.value)
    }

    @Test func putBlobMatchesTheSDK() throws {
        let request = HTTPRequest(
            method: "PUT",
            url: "http://127.0.0.1:10000/devstoreaccount1/wal/pfx/pg1/wals/0000000100000000/000000010000000000000002.gz",
            headers: [
                (name: "x-ms-version", value: "2021-08-06"), (name: "x-ms-date", value: "Sun, 11 Oct 2009 21:49:13 GMT"),
                (name: "x-ms-blob-type", value: "BlockBlob"), (name: "Content-MD5", value: "Q2hlY2sgSW50ZWdyaXR5IQ=="),
                (name: "If-None-Match", value: "*"), (name: "x-ms-meta-cloudwal_sha256", value: "abc"),
                (name: "x-ms-tags", value: "env=ci&team=db%20ops"),
            ], body: Array("hello world".utf8))
        #expect(try Self.authorization(request, contentLength: 11)
            == "SharedKey devstoreaccount1:ktL4FPrIj/tBejFoOKrH5tkB23ggsvf6yugnv7M3Ruw=")
    }

    @Test func listWithQueryMatchesTheSDK() throws {
        let request = HTTPRequest(
            method: "GET",
            url: "https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=list&prefix=pfx%2Fpg1%2F&delimiter=%2F",
            headers: [(name: "x-ms-version", value: "2021-08-06"), (name: "x-ms-date", value: "Fri, 26 Jun 2015 23:39:12 GMT")])
        #expect(try Self.authorization(request, contentLength: 0)
            == "SharedKey devstoreaccount1:RXpzL2Iyjgu2raI9jFXuzQqsqL4qAlgvjWEvRgy9eM8=")
    }

    /// The documented layout: verb, eleven standard headers (zero length signed as empty),
    /// sorted `x-ms-*` headers, `/account/path`, then sorted, decoded query parameters.
    @Test func stringToSignLayout() throws {
        let signer = try #require(AzureSharedKeySigner(account: "myaccount", base64Key: Self.key))
        let request = HTTPRequest(
            method: "GET", url: "https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata&timeout=20",
            headers: [(name: "x-ms-version", value: "2015-02-21"), (name: "x-ms-date", value: "Fri, 26 Jun 2015 23:39:12 GMT")])
        #expect(signer.stringToSign(request, contentLength: 0) == """
            GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-version:2015-02-21\n\
            /myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20
            """)
    }

    @Test func emulatorPathNamesTheAccountTwice() throws {
        let signer = try #require(AzureSharedKeySigner(account: "devstoreaccount1", base64Key: Self.key))
        let request = HTTPRequest(
            method: "HEAD", url: "http://127.0.0.1:10000/devstoreaccount1/c/k",
            headers: [(name: "X-MS-Date", value: "d"), (name: "x-ms-version", value: "v"), (name: "Content-Length", value: "7")])
        #expect(signer.stringToSign(request, contentLength: 7).hasSuffix(
            "\n7\n\n\n\n\n\n\n\n\nx-ms-date:d\nx-ms-version:v\n/devstoreaccount1/devstoreaccount1/c/k"))
    }

    @Test func invalidKeyIsRefused() {
        #expect(AzureSharedKeySigner(account: "a", base64Key: "not base64!") == nil)
    }
}

@Suite("Azure connection strings and metadata names")
struct AzureConnectionStringTests {
    @Test func accountKeyWithSuffix() throws {
        let parsed = try AzureConnectionString(
            parsing: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.chinacloudapi.cn")
        #expect(parsed.accountName == "acct")
        #expect(parsed.accountKey == "a2V5")
        #expect(parsed.blobEndpoint == "https://acct.blob.core.chinacloudapi.cn")
    }

    @Test func blobEndpointAndSAS() throws {
        let parsed = try AzureConnectionString(
            parsing: "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1/;SharedAccessSignature=?sv=2021-08-06&sig=abc%3D")
        #expect(parsed.blobEndpoint == "http://127.0.0.1:10000/devstoreaccount1")
        #expect(parsed.sharedAccessSignature == "sv=2021-08-06&sig=abc%3D")
        #expect(parsed.accountKey == nil)
    }

    @Test func developmentStorage() throws {
        let parsed = try AzureConnectionString(parsing: "UseDevelopmentStorage=true")
        #expect(parsed.accountName == "devstoreaccount1")
        #expect(parsed.blobEndpoint == "http://127.0.0.1:10000/devstoreaccount1")
    }

    @Test func errorsNeverRepeatTheSecret() {
        for text in ["AccountKey=c2VjcmV0LWtleQ==", "garbage-c2VjcmV0LWtleQ", "AccountName=a;Foo=c2VjcmV0LWtleQ=="] {
            do {
                _ = try AzureConnectionString(parsing: text)
                Issue.record("accepted \(text)")
            } catch let error as StorageError {
                #expect(!error.message.contains("c2VjcmV0LWtleQ"))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func metadataNamesRoundTrip() {
        #expect(AzureMetadataNames.azureName("cloudwal-sha256") == "cloudwal_sha256")
        #expect(AzureMetadataNames.objectKey("cloudwal_sha256") == "cloudwal-sha256")
        #expect(AzureMetadataNames.objectKey("CloudWAL_Size") == "cloudwal-size")
    }

    @Test func accountFromEndpoint() {
        #expect(AzureConfiguration(endpoint: "https://acct.blob.core.windows.net", container: "c").accountFromEndpoint == "acct")
        #expect(AzureConfiguration(endpoint: "http://127.0.0.1:1/devstoreaccount1/", container: "c").accountFromEndpoint
            == "devstoreaccount1")
    }
}
