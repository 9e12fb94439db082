/// Builds the backend a URL names. The one place that knows every backend.
public enum StoreFactory {
    public static func makeStore(
        for url: StorageURL, options: CloudOptions, environment: Environment = .current()
    ) throws -> any ObjectStore {
        switch url.location {
        case .fileSystem(let root):
            return FileSystemStore(root: root)
        case .s3(let bucket):
            return makeS3Store(bucket: bucket, options: options, environment: environment)
        case .azure(let endpoint, let container, let isEmulator):
            return try AzureStoreFactory.makeStore(
                endpoint: endpoint, container: container, isEmulator: isEmulator, options: options,
                environment: environment)
        case .gcs(let bucket):
            return try makeGCSStore(bucket: bucket, options: options, environment: environment)
        }
    }

    static func makeS3Store(bucket: String, options: CloudOptions, environment: Environment) -> S3Store {
        let transport = AsyncHTTPClientTransport(idleTimeout: .seconds(options.readTimeoutSeconds))
        // The AWS CLI's variables for a custom endpoint count too, so an existing setup carries over.
        let endpoint = options.endpointURL ?? environment["AWS_ENDPOINT_URL_S3"] ?? environment["AWS_ENDPOINT_URL"]
        var configuration = S3Configuration(
            bucket: bucket,
            region: AWSRegion.resolve(environment: environment, profile: options.awsProfile),
            endpoint: endpoint,
            addressingStyle: options.addressingStyle,
            encryption: options.encryption,
            kmsKeyID: options.sseKMSKeyID,
            requestTimeout: .seconds(options.readTimeoutSeconds))
        configuration.listPageSize = options.listPageSize
        let credentials = AWSCredentialChain.standard(
            environment: environment, profile: options.awsProfile, transport: transport)
        return S3Store(configuration: configuration, transport: transport, credentials: credentials)
    }
}
