/// The JSON credential document the container endpoint and instance metadata return:
/// `{"AccessKeyId": .., "SecretAccessKey": .., "Token": .., "Expiration": "2024-01-01T00:00:00Z"}`.
enum AWSCredentialDocument {
    /// Fetches the document with one request and reads it. `place` names the endpoint in "Cannot
    /// reach ..." (no answer is `unreachable`); an answer other than 200 is for `refusal` to
    /// classify, as each endpoint means its statuses differently.
    static func fetch(
        _ request: HTTPRequest, transport: any HTTPTransport, timeout: Duration, place: String, source: String,
        refusal: (HTTPResponse) -> StorageError
    ) async throws -> AWSCredentials {
        let response: HTTPResponse
        do {
            response = try await transport.send(request, timeout: timeout, maxResponseBytes: 64 << 10)
        } catch let error as HTTPTransportError {
            throw StorageError(.unreachable, "Cannot reach \(place): \(AWSErrorText.sanitized(error.message))")
        }
        guard response.status == 200 else { throw refusal(response) }
        return try parse(response.body, source: source)
    }

    /// Reads the document; `source` names the service in errors. The body is never quoted in an
    /// error: it holds the secret.
    static func parse(_ body: [UInt8], source: String) throws -> AWSCredentials {
        guard let fields = AWSJSON.stringFields(String(decoding: body, as: UTF8.self)) else {
            throw StorageError(.failed, "\(source) returned a credential document that is not JSON")
        }
        if let code = fields["Code"], code != "Success" {
            let message = fields["Message"].map { ": " + AWSErrorText.sanitized($0) } ?? ""
            throw StorageError(.accessDenied, "\(source) refused credentials (\(AWSErrorText.sanitized(code))\(message))")
        }
        guard let accessKey = fields["AccessKeyId"], !accessKey.isEmpty, let secretKey = fields["SecretAccessKey"],
            !secretKey.isEmpty
        else {
            throw StorageError(.failed, "\(source) returned no AccessKeyId/SecretAccessKey")
        }
        var expiration: Int?
        if let text = fields["Expiration"] {
            // An unreadable expiry would make the credentials look eternal; refuse them instead.
            guard let seconds = AWSTimestamp.parseISO8601(text) else {
                throw StorageError(.failed, "\(source) returned an unreadable Expiration '\(AWSErrorText.sanitized(text, limit: 40))'")
            }
            expiration = seconds
        }
        let token = fields["Token"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyID: accessKey, secretAccessKey: secretKey, sessionToken: token, expiration: expiration)
    }
}
