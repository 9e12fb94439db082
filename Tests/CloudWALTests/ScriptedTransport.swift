import CloudWAL

/// A transport that answers from a script and records what it was sent: the store and credential
/// tests' server. The last responder answers every request after the others are used up.
actor ScriptedTransport: HTTPTransport {
    typealias Responder = @Sendable (HTTPRequest) throws -> HTTPResponse
    private var responders: [Responder]
    private(set) var requests: [HTTPRequest] = []
    /// Records a streamed body as `body` (the GCS tests read what a resumable upload sent).
    private let collectsStreamedBodies: Bool

    init(collectingStreamedBodies: Bool = false, _ responders: [Responder]) {
        self.responders = responders
        collectsStreamedBodies = collectingStreamedBodies
    }

    nonisolated func send(_ request: HTTPRequest, timeout: Duration, maxResponseBytes: Int) async throws -> HTTPResponse {
        var request = request
        if collectsStreamedBodies, let streamed = request.streamedBody {
            request.body = try await streamed.collect()
            request.streamedBody = nil
        }
        return try await answer(request)
    }

    private func answer(_ request: HTTPRequest) throws -> HTTPResponse {
        requests.append(request)
        guard !responders.isEmpty else { return HTTPResponse(status: 500) }
        let responder = responders.count > 1 ? responders.removeFirst() : responders[0]
        return try responder(request)
    }
}
