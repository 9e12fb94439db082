/// The provider options barman-cloud's commands share, validated once for every command.
///
/// They are checked even where the backend that uses them is not in use, so a mistake shows at
/// the first run and not at the first failover to another cloud.
public struct CloudOptions: Sendable, Equatable {
    public enum ServerSideEncryption: String, Sendable, CaseIterable {
        case aes256 = "AES256"
        case kms = "aws:kms"
    }

    public enum AzureCredential: String, Sendable, CaseIterable {
        case azureCLI = "azure-cli"
        case managedIdentity = "managed-identity"
        case defaultChain = "default"
    }

    public var provider: CloudProvider?
    public var endpointURL: String?
    public var awsProfile: String?
    public var addressingStyle: S3Configuration.AddressingStyle = .auto
    public var readTimeoutSeconds: Int = 60
    public var encryption: ServerSideEncryption?
    public var sseKMSKeyID: String?
    public var azureCredential: AzureCredential?
    public var encryptionScope: String?
    public var maxBlockSize: Int = 4 << 20
    public var maxConcurrency: Int = 1
    public var maxSinglePutSize: Int = 64 << 20
    public var kmsKeyName: String?
    /// How many entries one list request asks for (S3 `max-keys`, GCS `maxResults`, Azure
    /// `maxresults`); nil leaves it to the service (1000, 1000, 5000). Not a command-line option:
    /// the storage contract suite sets it so every backend's paging runs with a few objects.
    public var listPageSize: Int?

    public init() {}

    /// Cross-option rules; each failure is one line and an input error.
    public func validate() throws {
        if sseKMSKeyID != nil, encryption != .kms {
            throw WALError(.invalidInput, "Encryption type must be \"aws:kms\" if SSE KMS Key ID is specified")
        }
        guard readTimeoutSeconds > 0 else {
            throw WALError(.invalidInput, "--read-timeout must be a positive number of seconds")
        }
        guard maxConcurrency > 0 else {
            throw WALError(.invalidInput, "--max-concurrency must be a positive number")
        }
        if let endpointURL, !(endpointURL.hasPrefix("http://") || endpointURL.hasPrefix("https://")) {
            throw WALError(.invalidInput, "--endpoint-url must start with http:// or https://: \(endpointURL)")
        }
    }
}
