/// Which region to sign for when the user did not say: the AWS CLI's order.
public enum AWSRegion {
    /// AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` (profile as for credentials), else
    /// `us-east-1`. Unreadable config files count as unset: the region has a safe default and S3
    /// redirects a request sent to the wrong one.
    public static func resolve(environment: Environment, profile: String?) -> String {
        if let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] {
            return region
        }
        let fromProfile = try? ProfileCredentialProvider(environment: environment, profile: profile).region()
        return fromProfile.flatMap { $0 } ?? "us-east-1"
    }
}
