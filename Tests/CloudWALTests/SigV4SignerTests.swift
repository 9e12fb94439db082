import CloudWAL
import Testing

/// The examples of AWS's "Signature Calculations for the Authorization Header: Transferring
/// Payload in a Single Chunk" page (S3 API reference), signed with the documented example keys.
@Suite struct SigV4SignerTests {
    static let credentials = AWSCredentials(
        accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    /// 2013-05-24T00:00:00Z
    static let may24 = 1_369_353_600
    static let signer = SigV4Signer(region: "us-east-1")

    static func signed(_ request: HTTPRequest, payload: String = SigV4Signer.emptyPayloadSHA256) -> HTTPRequest {
        var request = request
        signer.sign(&request, credentials: credentials, payloadSHA256: payload, at: may24)
        return request
    }

    @Test func getObjectWithRange() {
        let request = Self.signed(
            HTTPRequest(method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt", headers: [(name: "Range", value: "bytes=0-9")]))
        #expect(
            request.sigV4Header("authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(request.sigV4Header("x-amz-date") == "20130524T000000Z")
        #expect(request.sigV4Header("host") == "examplebucket.s3.amazonaws.com")
        #expect(request.sigV4Header("x-amz-content-sha256") == SigV4Signer.emptyPayloadSHA256)
        #expect(request.sigV4Header("x-amz-security-token") == nil)
    }

    @Test func putObjectWithUnencodedDollarInKey() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        let headers: [(name: String, value: String)] = [
            (name: "Date", value: "Fri, 24 May 2013 00:00:00 GMT"),
            (name: "x-amz-storage-class", value: "REDUCED_REDUNDANCY"),
        ]
        // Written by hand (`$` raw) and as the S3 code builds it (`%24`): both sign the same.
        for url in ["https://examplebucket.s3.amazonaws.com/test$file.text",
                    "https://examplebucket.s3.amazonaws.com/" + AWSURIEncoding.encode("test$file.text", keepSlash: true)] {
            let request = Self.signed(HTTPRequest(method: "PUT", url: url, headers: headers, body: body), payload: hash)
            let authorization = request.sigV4Header("Authorization") ?? ""
            #expect(authorization.hasSuffix(
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                    + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"))
            let canonical = SigV4Signer.canonicalRequest(request, payloadSHA256: hash).request
            #expect(canonical.hasPrefix("PUT\n/test%24file.text\n\n"))
        }
    }

    @Test func getBucketLifecycle() {
        let request = Self.signed(HTTPRequest(method: "GET", url: "https://examplebucket.s3.amazonaws.com/?lifecycle"))
        #expect(request.sigV4Header("Authorization")?.hasSuffix(
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                + "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543") == true)
        let canonical = SigV4Signer.canonicalRequest(request, payloadSHA256: SigV4Signer.emptyPayloadSHA256)
        #expect(canonical.request.split(separator: "\n", omittingEmptySubsequences: false)[2] == "lifecycle=")
    }

    @Test func listObjectsSortsTheQuery() {
        for url in ["https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J",
                    "https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2"] {
            let request = Self.signed(HTTPRequest(method: "GET", url: url))
            #expect(request.sigV4Header("Authorization")?.hasSuffix(
                "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7") == true)
        }
    }

    @Test func resigningReplacesTheOwnedHeaders() {
        var request = Self.signed(
            HTTPRequest(method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt", headers: [(name: "Range", value: "bytes=0-9")]))
        Self.signer.sign(&request, credentials: Self.credentials, payloadSHA256: SigV4Signer.emptyPayloadSHA256, at: Self.may24)
        #expect(request.headers.filter { $0.name.lowercased() == "authorization" }.count == 1)
        #expect(request.headers.filter { $0.name.lowercased() == "x-amz-date" }.count == 1)
        #expect(request.sigV4Header("authorization")?.hasSuffix("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41") == true)
    }

    @Test func sessionTokenIsSentAndSigned() {
        var credentials = Self.credentials
        credentials.sessionToken = "the-session-token"
        var request = HTTPRequest(method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt")
        Self.signer.sign(&request, credentials: credentials, payloadSHA256: SigV4Signer.unsignedPayload, at: Self.may24)
        #expect(request.sigV4Header("x-amz-security-token") == "the-session-token")
        #expect(request.sigV4Header("x-amz-content-sha256") == "UNSIGNED-PAYLOAD")
        #expect(request.sigV4Header("Authorization")?.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") == true)
    }

    @Test func emptyPayloadHashMeansUnsigned() {
        var request = HTTPRequest(method: "PUT", url: "https://b.s3.amazonaws.com/k", body: [1, 2, 3])
        Self.signer.sign(&request, credentials: Self.credentials, payloadSHA256: "", at: Self.may24)
        #expect(request.sigV4Header("x-amz-content-sha256") == SigV4Signer.unsignedPayload)
    }

    @Test func hostCarriesOnlyNonDefaultPorts() {
        let cases: [(String, String)] = [
            ("http://127.0.0.1:9000/bucket/key", "127.0.0.1:9000"),
            ("http://MinIO.local:80/bucket", "minio.local"),
            ("https://s3.eu-west-1.amazonaws.com:443/b/k?x=1", "s3.eu-west-1.amazonaws.com"),
            ("https://s3.example.com:8443", "s3.example.com:8443"),
            ("http://[::1]:9000/b", "[::1]:9000"),
            ("http://[::1]/b", "[::1]"),
        ]
        for (url, host) in cases {
            #expect(Self.signed(HTTPRequest(method: "GET", url: url)).sigV4Header("host") == host)
        }
    }

    @Test func headerValuesAreTrimmedAndCollapsedAndUnsignedOnesSkipped() {
        let request = HTTPRequest(
            method: "GET", url: "https://b.s3.amazonaws.com/k",
            headers: [
                (name: "X-Amz-Meta-Note", value: "  two   words\there  "),
                (name: "x-amz-meta-note", value: "second"),
                (name: "User-Agent", value: "cloud-wal"),
            ])
        let signed = Self.signed(request)
        let canonical = SigV4Signer.canonicalRequest(signed, payloadSHA256: SigV4Signer.emptyPayloadSHA256)
        #expect(canonical.request.contains("\nx-amz-meta-note:two words here,second\n"))
        #expect(canonical.signedHeaders == "host;x-amz-content-sha256;x-amz-date;x-amz-meta-note")
    }

    @Test func dateFormatting() {
        #expect(AWSTimestamp.amzDate(0) == "19700101T000000Z")
        #expect(AWSTimestamp.amzDate(Self.may24) == "20130524T000000Z")
        #expect(AWSTimestamp.amzDate(951_782_400) == "20000229T000000Z")
        #expect(AWSTimestamp.parseISO8601("2013-05-24T00:00:00Z") == Self.may24)
        #expect(AWSTimestamp.parseISO8601("2013-05-24T02:00:00.123+02:00") == Self.may24)
        #expect(AWSTimestamp.parseISO8601("2013-05-24") == nil)
        #expect(AWSTimestamp.parseISO8601("2013-13-24T00:00:00Z") == nil)
    }
}

@Suite struct AWSURIEncodingTests {
    @Test func encodesOnlyUnreserved() {
        #expect(AWSURIEncoding.encode("A-Za-z0-9-._~", keepSlash: false) == "A-Za-z0-9-._~")
        #expect(AWSURIEncoding.encode("a b", keepSlash: false) == "a%20b")
        #expect(AWSURIEncoding.encode("a+b=c&d", keepSlash: false) == "a%2Bb%3Dc%26d")
        #expect(AWSURIEncoding.encode("dir/file", keepSlash: true) == "dir/file")
        #expect(AWSURIEncoding.encode("dir/file", keepSlash: false) == "dir%2Ffile")
        #expect(AWSURIEncoding.encode("100%", keepSlash: false) == "100%25")
        #expect(AWSURIEncoding.encode("ключ/é", keepSlash: true) == "%D0%BA%D0%BB%D1%8E%D1%87/%C3%A9")
        #expect(AWSURIEncoding.encode("!'()*", keepSlash: false) == "%21%27%28%29%2A")
    }

    @Test func decodeRoundTrips() {
        for text in ["a b", "x/y=z", "ключ ~ é", "100%"] {
            #expect(AWSURIEncoding.decode(Substring(AWSURIEncoding.encode(text, keepSlash: false))) == text)
        }
        #expect(AWSURIEncoding.decode("bad%2") == nil)
        #expect(AWSURIEncoding.decode("a+b") == "a+b")
    }

    @Test func canonicalPathEncodesOnce() {
        #expect(AWSURIEncoding.canonicalPath("") == "/")
        #expect(AWSURIEncoding.canonicalPath("/") == "/")
        #expect(AWSURIEncoding.canonicalPath("/bucket/a%20b/c~d") == "/bucket/a%20b/c~d")
        #expect(AWSURIEncoding.canonicalPath("/bucket/a b") == "/bucket/a%20b")
        // An encoded slash inside a key segment stays encoded, it is not a path separator.
        #expect(AWSURIEncoding.canonicalPath("/bucket/a%2Fb") == "/bucket/a%2Fb")
        #expect(AWSURIEncoding.canonicalPath("/bucket/%D0%BA") == "/bucket/%D0%BA")
        #expect(AWSURIEncoding.canonicalPath("/b//k") == "/b//k")
    }

    @Test func canonicalQuerySortsAndEncodes() {
        #expect(AWSURIEncoding.canonicalQuery("uploads") == "uploads=")
        #expect(AWSURIEncoding.canonicalQuery("prefix=a/b&list-type=2&delimiter=") == "delimiter=&list-type=2&prefix=a%2Fb")
        #expect(AWSURIEncoding.canonicalQuery("k=a%3Db&k=a") == "k=a&k=a%3Db")
        #expect(AWSURIEncoding.canonicalQuery("tag=x y") == "tag=x%20y")
        #expect(AWSURIEncoding.canonicalQuery("") == "")
    }
}

extension HTTPRequest {
    /// The first header named `name`, case-insensitively (only responses have this in the library).
    fileprivate func sigV4Header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
