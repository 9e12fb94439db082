/// Builds an `AzureBlobStore` from a parsed URL and the CLI's Azure options; kept beside the
/// backend so `StoreFactory` stays a one-line switch.
enum AzureStoreFactory {
    static func makeStore(
        endpoint: String, container: String, isEmulator: Bool, options: CloudOptions, environment: Environment
    ) throws -> AzureBlobStore {
        let transport = AsyncHTTPClientTransport(idleTimeout: .seconds(options.readTimeoutSeconds))
        let resolved = try AzureCredentialResolver.resolve(
            urlEndpoint: endpoint, isEmulator: isEmulator, explicit: options.azureCredential, environment: environment,
            transport: transport)
        var configuration = AzureConfiguration(
            endpoint: resolved.endpoint, container: container, encryptionScope: options.encryptionScope,
            maxSinglePutSize: options.maxSinglePutSize, maxBlockSize: options.maxBlockSize,
            maxConcurrency: options.maxConcurrency, requestTimeout: .seconds(options.readTimeoutSeconds))
        configuration.listPageSize = options.listPageSize
        return AzureBlobStore(configuration: configuration, transport: transport, authorization: resolved.authorization)
    }
}
