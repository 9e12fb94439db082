/// An S3 error answer turned into a `StorageError` whose message tells the operator what to do.
struct S3ErrorResponse: Sendable {
    let answer: XMLErrorAnswer
    /// The region S3 says the bucket lives in (redirects and region mismatches).
    let bucketRegion: String?
    var status: Int { answer.status }
    var code: String { answer.code }

    init(_ response: HTTPResponse) {
        answer = XMLErrorAnswer(response, defaultCode: Self.defaultCode)
        bucketRegion = response.header("x-amz-bucket-region") ?? answer.xml.value("Region")
    }

    /// Throttling and server-side trouble: worth another attempt. So is a body the server
    /// received damaged (its checksum did not match what we signed): the next attempt sends it
    /// again. 501 is a store saying it lacks a feature (e.g. `If-None-Match`); asking again
    /// changes nothing.
    var isRetryable: Bool {
        (status >= 500 && status != 501) || status == 429
            || ["SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable", "BadDigest",
                "XAmzContentSHA256Mismatch"].contains(code)
    }

    /// The bucket is in another region than the one we signed for.
    var isWrongRegion: Bool {
        bucketRegion != nil
            && (status == 301 || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed"
                || code == "IllegalLocationConstraintException")
    }

    func storageError(bucket: String, key: String) -> StorageError {
        switch code {
        case "NoSuchBucket":
            return StorageError(.notFound, "Bucket \(bucket) does not exist")
        case "NoSuchKey":
            return StorageError(.notFound, "\(key): no such object")
        case "AccessDenied", "AllAccessDisabled":
            return StorageError(.accessDenied, "Access denied to s3://\(bucket)/\(key) (\(answer.detail)): check the credentials' permissions")
        case "InvalidAccessKeyId":
            return StorageError(.accessDenied, "The AWS access key ID is not known to the server (\(code))")
        case "SignatureDoesNotMatch":
            return StorageError(.accessDenied, "The request signature was refused (\(code)): check the secret access key")
        case "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
            return StorageError(.accessDenied, "The AWS session token was refused (\(code)): refresh the credentials")
        case "RequestTimeTooSkewed":
            return StorageError(.accessDenied, "This machine's clock differs too much from the server's (\(code)): fix the clock (NTP)")
        default:
            if isWrongRegion, let bucketRegion {
                return StorageError(.invalidRequest, "Bucket \(bucket) is in region \(bucketRegion): set AWS_DEFAULT_REGION")
            }
            return answer.unlistedCodeError(
                service: "S3", location: "s3://\(bucket)/\(key)", deniedStatuses: [403], isRetryable: isRetryable)
        }
    }

    private static func defaultCode(_ status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 403: "AccessDenied"
        case 404: "NotFound"
        case 412: "PreconditionFailed"
        case 503: "SlowDown"
        default: "HTTP\(status)"
        }
    }
}
