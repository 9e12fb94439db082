extension CloudOptions {
    /// The options that choose and reach the store, as command-line arguments: what another
    /// command needs to reach the same archive the same way (the `restore_command` that
    /// `restore` writes calls `wal-restore` with them). Defaults are left out.
    public var reachingArguments: [String] {
        var arguments: [String] = []
        if let provider { arguments += [OptionSpelling.cloudProvider.flag, provider.rawValue] }
        if let endpointURL { arguments += [OptionSpelling.endpointURL.flag, endpointURL] }
        if let awsProfile { arguments += [OptionSpelling.awsProfile.flag, awsProfile] }
        if readTimeoutSeconds != CloudOptions().readTimeoutSeconds {
            arguments += [OptionSpelling.readTimeout.flag, String(readTimeoutSeconds)]
        }
        if addressingStyle != .auto { arguments += [OptionSpelling.addressingStyle.flag, addressingStyle.rawValue] }
        if let azureCredential { arguments += [OptionSpelling.azureCredential.flag, azureCredential.rawValue] }
        return arguments
    }
}
