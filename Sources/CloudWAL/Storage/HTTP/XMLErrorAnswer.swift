/// What S3's and Azure's error answers share: an XML body with `<Code>` and `<Message>`, a code
/// the status implies when there is none (HEAD answers have no body), and how an answer whose code
/// the service's own table does not name is classified. Each service keeps its table of codes and
/// what it retries.
struct XMLErrorAnswer: Sendable {
    let status: Int
    let code: String
    let message: String
    /// The whole body, for fields one service adds (S3's `<Region>`).
    let xml: S3XML

    /// `headerCode` wins over the body's `<Code>` (Azure sends `x-ms-error-code`); `defaultCode`
    /// names the status when neither is there. With `firstLineOnly`, a message is cut at its
    /// first line break (Azure appends "\nRequestId:...\nTime:..." to every message).
    init(_ response: HTTPResponse, headerCode: String? = nil, defaultCode: (Int) -> String, firstLineOnly: Bool = false) {
        xml = S3XML(response.body)
        status = response.status
        code = headerCode ?? xml.value("Code") ?? defaultCode(response.status)
        let text = xml.value("Message") ?? ""
        message = firstLineOnly
            ? text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first.map(String.init) ?? "" : text
    }

    /// `Code: Message`, or the code alone.
    var detail: String { message.isEmpty ? code : "\(code): \(message)" }

    /// An answer no code of the service's table matched, by its status: absent (404), denied
    /// (`deniedStatuses`), worth retrying (the service says what is), or refused.
    func unlistedCodeError(service: String, location: String, deniedStatuses: Set<Int>, isRetryable: Bool) -> StorageError {
        if status == 404 { return StorageError(.notFound, "\(location): not found (\(detail))") }
        if deniedStatuses.contains(status) { return StorageError(.accessDenied, "Access denied to \(location) (\(detail))") }
        if isRetryable {
            return StorageError(.unreachable, "\(service) kept failing for \(location): HTTP \(status) \(detail)")
        }
        return StorageError(.failed, "\(service) refused the request for \(location): HTTP \(status) \(detail)")
    }
}
