import CloudWAL
import Testing

/// A transport whose answers stream: each scripted body is a list of chunks that may end in an
/// error, as a connection cut in mid-body does.
actor StreamingScript: HTTPTransport {
    struct Answer: Sendable {
        var status: Int
        var headers: [(name: String, value: String)]
        var chunks: [[UInt8]]
        var failure: HTTPTransportError?
    }

    private var answers: [Answer]
    private(set) var requests: [HTTPRequest] = []

    init(_ answers: [Answer]) {
        self.answers = answers
    }

    nonisolated func send(_ request: HTTPRequest, timeout: Duration, maxResponseBytes: Int) async throws -> HTTPResponse {
        let answer = await next(request)
        return HTTPResponse(status: answer.status, headers: answer.headers, body: answer.chunks.flatMap { $0 })
    }

    nonisolated func stream(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPStreamingResponse {
        let answer = await next(request)
        return HTTPStreamingResponse(
            status: answer.status, headers: answer.headers,
            body: AsyncThrowingStream { continuation in
                for chunk in answer.chunks { continuation.yield(chunk) }
                continuation.finish(throwing: answer.failure)
            })
    }

    private func next(_ request: HTTPRequest) -> Answer {
        requests.append(request)
        guard !answers.isEmpty else { return Answer(status: 500, headers: [], chunks: [], failure: nil) }
        return answers.removeFirst()
    }
}

@Suite("Downloads resume after a cut connection")
struct ResumingDownloadTests {
    static let content: [UInt8] = Array(0..<100)
    static let quickRetry = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5), deadline: .seconds(30))

    static func store(_ transport: StreamingScript) -> S3Store {
        let configuration = S3Configuration(
            bucket: "bkt", region: "us-east-1", endpoint: "http://127.0.0.1:9000", retry: quickRetry)
        return S3Store(configuration: configuration, transport: transport, credentials: FixedCredentials(), now: { 1_700_000_000 })
    }

    static func full() -> [(name: String, value: String)] {
        [(name: "Content-Length", value: "100"), (name: "ETag", value: "\"v1\"")]
    }

    static func rest(from offset: Int) -> StreamingScript.Answer {
        .init(
            status: 206,
            headers: [(name: "Content-Range", value: "bytes \(offset)-99/100"), (name: "Content-Length", value: "\(100 - offset)")],
            chunks: [Array(content[offset...])], failure: nil)
    }

    static func collect(_ download: ObjectDownload) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in download.chunks { bytes += chunk }
        return bytes
    }

    @Test func aResetInMidBodyResumesFromTheSameVersion() async throws {
        let transport = StreamingScript([
            .init(status: 200, headers: Self.full(), chunks: [Array(Self.content[..<40])],
                  failure: HTTPTransportError(.connectionReset, "reset")),
            Self.rest(from: 40),
        ])
        let bytes = try await Self.collect(try await Self.store(transport).get("wals/x"))
        #expect(bytes == Self.content)
        let requests = await transport.requests
        #expect(requests.count == 2)
        #expect(requests[1].header("Range") == "bytes=40-")
        #expect(requests[1].header("If-Match") == "\"v1\"")
    }

    @Test func aBodyShorterThanDeclaredIsResumedNotAccepted() async throws {
        let transport = StreamingScript([
            .init(status: 200, headers: Self.full(), chunks: [Array(Self.content[..<70])], failure: nil),
            Self.rest(from: 70),
        ])
        #expect(try await Self.collect(try await Self.store(transport).get("wals/x")) == Self.content)
    }

    @Test func aServerIgnoringTheRangeIsAnErrorNotAStitchedFile() async throws {
        let transport = StreamingScript([
            .init(status: 200, headers: Self.full(), chunks: [Array(Self.content[..<40])],
                  failure: HTTPTransportError(.connectionReset, "reset")),
            .init(status: 200, headers: Self.full(), chunks: [Self.content], failure: nil),
        ])
        let download = try await Self.store(transport).get("wals/x")
        await #expect(throws: StorageError.self) { _ = try await Self.collect(download) }
    }

    @Test func anObjectReplacedMeanwhileIsAnError() async throws {
        let transport = StreamingScript([
            .init(status: 200, headers: Self.full(), chunks: [Array(Self.content[..<40])],
                  failure: HTTPTransportError(.timedOut, "stalled")),
            .init(status: 412, headers: [], chunks: [], failure: nil),
        ])
        let download = try await Self.store(transport).get("wals/x")
        do {
            _ = try await Self.collect(download)
            Issue.record("a replaced object must not be stitched")
        } catch let error as StorageError {
            #expect(error.message.contains("replaced"))
        }
    }

    @Test func cutsBeyondTheAttemptCapAreUnreachable() async throws {
        let cut = StreamingScript.Answer(
            status: 206, headers: [(name: "Content-Range", value: "bytes 10-99/100")], chunks: [],
            failure: HTTPTransportError(.connectionReset, "reset"))
        let transport = StreamingScript([
            .init(status: 200, headers: Self.full(), chunks: [Array(Self.content[..<10])],
                  failure: HTTPTransportError(.connectionReset, "reset")),
            cut, cut, cut,
        ])
        let download = try await Self.store(transport).get("wals/x")
        do {
            _ = try await Self.collect(download)
            Issue.record("endless cuts must end in an error")
        } catch let error as StorageError {
            #expect(error.kind == .unreachable)
        }
    }
}
