/// The AWS CLI's shared files: `~/.aws/credentials` (sections `[name]`) and `~/.aws/config`
/// (sections `[profile name]` and `[default]`), located through AWS_SHARED_CREDENTIALS_FILE and
/// AWS_CONFIG_FILE like the CLI does.
public struct AWSConfigFiles: Sendable {
    /// Profile name → lower-cased key → value, from the credentials file.
    public let credentialsProfiles: [String: [String: String]]
    /// Profile name → lower-cased key → value, from the config file (prefix `profile ` removed).
    public let configProfiles: [String: [String: String]]
    /// Where the files were looked for, for error messages.
    public let credentialsPath: String
    public let configPath: String

    public init(credentialsText: String?, configText: String?, credentialsPath: String = "~/.aws/credentials",
                configPath: String = "~/.aws/config") {
        credentialsProfiles = Self.parse(credentialsText ?? "").reduce(into: [:]) { profiles, section in
            profiles[section.name, default: [:]].merge(section.values) { _, new in new }
        }
        configProfiles = Self.parse(configText ?? "").reduce(into: [:]) { profiles, section in
            // The config file names profiles `[profile x]`; only `default` may go without the prefix.
            let name: String
            if section.name == "default" {
                name = "default"
            } else if section.name.hasPrefix("profile ") || section.name.hasPrefix("profile\t") {
                name = Self.trim(section.name.dropFirst("profile".count))
            } else {
                return  // sso-session, services and unprefixed sections are not profiles
            }
            profiles[name, default: [:]].merge(section.values) { _, new in new }
        }
        self.credentialsPath = credentialsPath
        self.configPath = configPath
    }

    /// Reads both files; a missing file counts as empty.
    public static func load(environment: Environment) throws -> AWSConfigFiles {
        let credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials"
        let configPath = environment["AWS_CONFIG_FILE"] ?? "~/.aws/config"
        let credentialsText = try AWSLocalFile.expandingHome(credentialsPath, environment: environment).flatMap {
            try AWSLocalFile.read($0)
        }
        let configText = try AWSLocalFile.expandingHome(configPath, environment: environment).flatMap {
            try AWSLocalFile.read($0)
        }
        return AWSConfigFiles(
            credentialsText: credentialsText, configText: configText, credentialsPath: credentialsPath,
            configPath: configPath)
    }

    /// The profile's settings from both files, the credentials file winning where both set a key
    /// (as in the CLI); nil when neither file has the profile.
    public func profile(_ name: String) -> [String: String]? {
        let fromConfig = configProfiles[name]
        let fromCredentials = credentialsProfiles[name]
        guard fromConfig != nil || fromCredentials != nil else { return nil }
        return (fromConfig ?? [:]).merging(fromCredentials ?? [:]) { _, credentials in credentials }
    }

    // MARK: - INI parsing

    struct Section {
        var name: String
        var values: [String: String]
    }

    /// A forgiving INI reader: `#` and `;` start comment lines (and inline comments after
    /// whitespace), keys are case-insensitive, and indented `key = value` lines under a key with
    /// an empty value are its sub-settings (`s3 =` / `  addressing_style = path`), kept as
    /// `s3.addressing_style` so they never shadow a top-level key.
    static func parse(_ text: String) -> [Section] {
        var sections: [Section] = []
        var parentKey: String?
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = trim(rawLine)
            guard !line.isEmpty, !line.hasPrefix("#"), !line.hasPrefix(";") else { continue }
            if line.hasPrefix("[") {
                guard let close = line.firstIndex(of: "]") else { continue }
                sections.append(Section(name: trim(line[line.index(after: line.startIndex)..<close]), values: [:]))
                parentKey = nil
                continue
            }
            guard !sections.isEmpty, let equals = line.firstIndex(of: "=") else { continue }
            let key = trim(line[..<equals]).lowercased()
            let value = stripInlineComment(trim(line[line.index(after: equals)...]))
            guard !key.isEmpty else { continue }
            let indented = rawLine.first == " " || rawLine.first == "\t"
            if indented, let parentKey {
                sections[sections.count - 1].values["\(parentKey).\(key)"] = value
            } else {
                sections[sections.count - 1].values[key] = value
                parentKey = value.isEmpty ? key : nil
            }
        }
        return sections
    }

    private static func stripInlineComment(_ value: String) -> String {
        var previousWasSpace = false
        for index in value.indices {
            let character = value[index]
            if previousWasSpace, character == "#" || character == ";" {
                return trim(value[..<index])
            }
            previousWasSpace = character == " " || character == "\t"
        }
        return value
    }

    static func trim<S: StringProtocol>(_ text: S) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(text[first...last])
    }
}
