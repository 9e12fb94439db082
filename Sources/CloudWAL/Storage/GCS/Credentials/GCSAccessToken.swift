/// An OAuth 2.0 bearer token for Google Cloud Storage.
public struct GCSAccessToken: Sendable, Equatable, CustomStringConvertible {
    public let value: String
    /// Unix seconds after which the token is no longer accepted; nil when it does not say.
    public let expiration: Int?

    public init(value: String, expiration: Int?) {
        self.value = value
        self.expiration = expiration
    }

    /// Never the token itself: descriptions end up in logs and error messages.
    public var description: String { "GCSAccessToken(expiration: \(expiration.map(String.init) ?? "none"))" }
}

/// Where a `GCSStore` gets its bearer token; nil means anonymous requests (an emulator).
public protocol GCSTokenProvider: Sendable {
    func token() async throws -> GCSAccessToken?
}

/// No credentials at all: what `STORAGE_EMULATOR_HOST` selects, as Google's own clients do.
public struct GCSAnonymousCredentials: GCSTokenProvider {
    public init() {}
    public func token() async throws -> GCSAccessToken? { nil }
}
