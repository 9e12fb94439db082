import Foundation
import Testing

/// The test credentials a suite hands to cloud-wal, and the check that none of them (nor a
/// `user:password@` URL credential) ever shows up in what a command prints.
///
/// Every command the fault suites run goes through `CheckedCommand.run`, which applies this
/// check to its stdout and stderr, so no suite can forget it.
struct SecretScan: Sendable {
    /// name (for the failure message, never the value) -> value.
    private(set) var secrets: [(name: String, value: String)] = []

    /// Values shorter than this would match by chance ("testing" in a path, a short base64 run).
    static let minimumLength = 8

    mutating func add(_ name: String, _ value: String) {
        guard value.count >= Self.minimumLength else { return }
        secrets.append((name, value))
    }

    /// Secret material in a credentials environment: AWS secret and session token, Azure account
    /// key (also inside a connection string) and SAS signature, a GCS key file's private key, the
    /// sidecar token.
    mutating func add(environment: [String: String]) {
        for name in ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_KEY", "AZURE_CLIENT_SECRET",
                     "CLOUD_WAL_TOKEN", "WALE_TOKEN"] {
            if let value = environment[name] { add(name, value) }
        }
        if let connection = environment["AZURE_STORAGE_CONNECTION_STRING"] {
            for field in connection.split(separator: ";") {
                let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2, ["AccountKey", "SharedAccessSignature"].contains(parts[0]) {
                    add("connection string \(parts[0])", parts[1])
                }
            }
        }
        if let sas = environment["AZURE_STORAGE_SAS_TOKEN"] {
            for pair in sas.split(separator: "&") where pair.hasPrefix("sig=") {
                add("SAS sig", String(pair.dropFirst(4)))
                // The signature as it travels in a URL, percent-encoded.
                add("SAS sig (encoded)", String(pair.dropFirst(4)).addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics) ?? "")
            }
        }
        if let path = environment["GOOGLE_APPLICATION_CREDENTIALS"],
           let data = FileManager.default.contents(atPath: path),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let key = json["private_key"] as? String {
            // Any one line of the PEM body is enough to count as a leak.
            for line in key.split(separator: "\n") where !line.hasPrefix("-----") {
                add("GCS private key", String(line))
            }
        }
    }

    /// What leaked in `text`: names of the secrets found, plus any URL credentials.
    func findings(in text: String) -> [String] {
        var found = secrets.filter { text.contains($0.value) }.map(\.name)
        if text.range(of: #"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"#, options: .regularExpression) != nil {
            found.append("user:password@ in a URL")
        }
        return found
    }
}

/// Runs a command of the fault suites and checks its output for secrets, always.
enum CheckedCommand {
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], scan: SecretScan,
        workingDirectory: String? = nil, timeout: Duration = .seconds(90),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ProcessResult {
        let result = try await ProcessRunner.run(executable, arguments, environment: environment,
                                                 workingDirectory: workingDirectory, timeout: timeout)
        let leaks = scan.findings(in: result.stdout + "\n" + result.stderr)
        #expect(leaks.isEmpty, "\((executable as NSString).lastPathComponent) \(arguments.first ?? "") printed secret material: \(leaks.joined(separator: ", "))",
                sourceLocation: sourceLocation)
        return result
    }
}
