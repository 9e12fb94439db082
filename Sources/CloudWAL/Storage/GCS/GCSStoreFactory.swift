extension StoreFactory {
    /// `STORAGE_EMULATOR_HOST` points everything at an emulator without credentials, as Google's
    /// clients (and so barman-cloud) do; `--endpoint-url` picks another endpoint but keeps the
    /// credentials; otherwise it is Google with the standard credential chain.
    static func makeGCSStore(bucket: String, options: CloudOptions, environment: Environment) throws -> GCSStore {
        let transport = AsyncHTTPClientTransport(idleTimeout: .seconds(options.readTimeoutSeconds))
        let endpoint = environment["STORAGE_EMULATOR_HOST"] ?? options.endpointURL ?? GCSConfiguration.defaultEndpoint
        var configuration = GCSConfiguration(
            bucket: bucket, endpoint: endpoint, kmsKeyName: options.kmsKeyName,
            requestTimeout: .seconds(options.readTimeoutSeconds))
        configuration.listPageSize = options.listPageSize
        let credentials = try GCSCredentialChain.standard(environment: environment, transport: transport)
        return GCSStore(configuration: configuration, transport: transport, credentials: credentials)
    }
}
