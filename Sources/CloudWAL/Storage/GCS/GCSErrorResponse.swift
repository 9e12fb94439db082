/// A Google Cloud Storage error answer turned into a `StorageError` whose message tells the
/// operator what to do. Google sends `{"error": {"code": 403, "message": "...", "errors":
/// [{"reason": "forbidden"}]}}`; emulators sometimes send plain text, used as the message then.
struct GCSErrorResponse: Sendable {
    let status: Int
    let reason: String
    let message: String

    init(_ response: HTTPResponse) {
        status = response.status
        let text = String(decoding: response.body.prefix(4096), as: UTF8.self)
        let error = JSONValue.parse(text)?["error"]
        reason = error?["errors"]?.arrayValue?.first?["reason"]?.stringValue ?? ""
        let plain = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        message = error?["message"]?.stringValue ?? (text.hasPrefix("{") || text.hasPrefix("<") ? "" : plain)
    }

    /// Throttling, timeouts and server trouble: worth another attempt. 501 will not change.
    var isRetryable: Bool {
        Self.isRetryable(status: status)
    }

    static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (status >= 500 && status != 501)
    }

    func storageError(bucket: String, key: String) -> StorageError {
        let location = "gs://\(bucket)/\(key)"
        let detail = ["HTTP \(status)", reason, message].filter { !$0.isEmpty }.joined(separator: " ")
        switch status {
        case 401:
            return StorageError(
                .accessDenied,
                "Google Cloud Storage refused the credentials for \(location) (\(detail)): check "
                    + "GOOGLE_APPLICATION_CREDENTIALS or the VM's service account")
        case 403:
            return StorageError(
                .accessDenied,
                "Access denied to \(location) (\(detail)): the account needs storage object permissions on the bucket")
        case 404:
            return StorageError(.notFound, "\(location): not found (\(detail))")
        case 412:
            return StorageError(.failed, "\(location): a precondition failed (\(detail))")
        case 400:
            return StorageError(.invalidRequest, "Google Cloud Storage rejected the request for \(location) (\(detail))")
        default:
            if isRetryable {
                return StorageError(.unreachable, "Google Cloud Storage kept failing for \(location): \(detail)")
            }
            return StorageError(.failed, "Google Cloud Storage refused the request for \(location): \(detail)")
        }
    }
}
