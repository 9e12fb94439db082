/// A Blob service error answer turned into a `StorageError` whose message says what to do.
///
/// The code comes from `x-ms-error-code` (HEAD answers have no body) or the XML `<Code>`. Azure's
/// `<AuthenticationErrorDetail>` echoes the string it signed; it is never shown.
struct AzureErrorResponse: Sendable {
    let answer: XMLErrorAnswer
    var status: Int { answer.status }
    var code: String { answer.code }

    init(_ response: HTTPResponse) {
        answer = XMLErrorAnswer(
            response, headerCode: response.header("x-ms-error-code"), defaultCode: Self.defaultCode, firstLineOnly: true)
    }

    /// Server trouble and throttling, and a body that arrived damaged (`Md5Mismatch`: the next
    /// attempt sends it again); any other 4xx will not mend itself.
    var isRetryable: Bool {
        status >= 500 || status == 408 || status == 429
            || ["ServerBusy", "OperationTimedOut", "InternalError", "Md5Mismatch"].contains(code)
    }

    func storageError(container: String, location: String) -> StorageError {
        switch code {
        case "ContainerNotFound":
            return StorageError(.notFound, "Container \(container) does not exist")
        case "BlobNotFound":
            return StorageError(.notFound, "\(location): no such blob")
        case "AuthenticationFailed":
            return StorageError(
                .accessDenied,
                "Azure refused the request's authentication (AuthenticationFailed): check the account key or SAS token, and this machine's clock")
        case "InvalidAuthenticationInfo", "ExpiredToken":
            return StorageError(.accessDenied, "Azure refused the access token (\(code)): check the identity and its tenant")
        case "AuthorizationFailure", "AuthorizationPermissionMismatch", "AuthorizationResourceTypeMismatch",
            "AuthorizationServiceMismatch", "AuthorizationSourceIPMismatch", "AuthorizationProtocolMismatch":
            return StorageError(
                .accessDenied,
                "Access denied to \(location) (\(code)): the identity or SAS lacks a permission (e.g. the Storage Blob Data Contributor role)")
        case "AccountIsDisabled", "InsufficientAccountPermissions":
            return StorageError(.accessDenied, "Access denied to \(location) (\(answer.detail))")
        default:
            return answer.unlistedCodeError(
                service: "Azure", location: location, deniedStatuses: [401, 403], isRetryable: isRetryable)
        }
    }

    private static func defaultCode(_ status: Int) -> String {
        switch status {
        case 403: "AuthenticationFailed"
        case 404: "ResourceNotFound"
        case 409: "Conflict"
        case 412: "ConditionNotMet"
        case 503: "ServerBusy"
        default: "HTTP\(status)"
        }
    }
}
