/// The token endpoint exchange both key-file credential types share: a form POST answered with
/// `{"access_token": ..., "expires_in": ...}`.
public enum GoogleOAuth {
    public static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// POSTs `form` to `tokenURI` and reads the token; failures become one-line `StorageError`s
    /// that quote Google's error code but never the request (it holds the secret).
    static func exchange(
        _ form: [(String, String)], tokenURI: String, transport: any HTTPTransport, now: Int, source: String
    ) async throws -> GCSAccessToken {
        let body = form.map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&")
        let request = HTTPRequest(
            method: "POST", url: tokenURI,
            headers: [(name: "Content-Type", value: "application/x-www-form-urlencoded")], body: Array(body.utf8))
        let response: HTTPResponse
        do {
            response = try await RetryPolicy(maxAttempts: 3).run(isRetryable: isRetryable) {
                let response = try await transport.send(request, timeout: .seconds(30), maxResponseBytes: 1 << 20)
                if response.status == 429 || response.status >= 500 { throw RetryableStatus(response: response) }
                return response
            }
        } catch let status as RetryableStatus {
            response = status.response
        } catch let error as HTTPTransportError {
            throw StorageError(.unreachable, "Cannot reach Google's token endpoint \(tokenURI): \(error.message)")
        }
        return try parse(response, now: now, source: source)
    }

    /// An access token answer (token endpoint or metadata server).
    static func parse(_ response: HTTPResponse, now: Int, source: String) throws -> GCSAccessToken {
        let document = JSONValue.parse(String(decoding: response.body, as: UTF8.self))
        guard response.status == 200 else {
            // OAuth errors are {"error": "invalid_grant", "error_description": "..."}.
            let code = document?["error"]?.stringValue ?? "HTTP \(response.status)"
            let detail = document?["error_description"]?.stringValue.map { ": \($0)" } ?? ""
            let kind: StorageError.Kind = response.status >= 500 || response.status == 429 ? .unreachable : .accessDenied
            throw StorageError(kind, "Google refused the \(source) (\(code)\(detail)): check the credentials")
        }
        guard let token = document?["access_token"]?.stringValue, !token.isEmpty else {
            throw StorageError(.accessDenied, "Google's answer for the \(source) holds no access_token")
        }
        let expiresIn = document?["expires_in"]?.intValue
        return GCSAccessToken(value: token, expiration: expiresIn.map { now + $0 })
    }

    /// application/x-www-form-urlencoded: unreserved characters kept, everything else `%XX`.
    static func formEncode(_ text: String) -> String {
        AWSURIEncoding.encode(text, keepSlash: false)
    }

    struct RetryableStatus: Error {
        let response: HTTPResponse
    }

    static func isRetryable(_ error: any Error) -> Bool {
        switch error {
        case is RetryableStatus: true
        case let error as HTTPTransportError: error.kind != .other
        default: false
        }
    }
}
