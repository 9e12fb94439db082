import CloudWAL

/// `cloud-wal serve` configured by environment, as containers are: the WAL-E sidecar's
/// variables (`WALE_LISTEN_PORT`, `PGDATA`, `PGWAL`, `WALE_*_PREFIX`) plus ours (`CLOUD_WAL_*`).
/// The command line always wins over the environment.
public enum SidecarEnvironment {
    /// A `wal-archive` option that `CLOUD_WAL_<NAME>` can set (`--endpoint-url` is
    /// `CLOUD_WAL_ENDPOINT_URL`).
    public struct ArchiveOption: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// `true`/`false`; true adds the flag.
            case flag
            case value
            /// Repeatable; several values are separated by `;` in the variable.
            case list
        }

        public let name: String
        public let kind: Kind
        /// Other spellings on the command line: when one is given, the variable is ignored.
        public let aliases: [String]
        /// Options of one group exclude each other: a compression chosen on the command line
        /// overrides any compression from the environment.
        public let group: String?

        public init(_ name: String, _ kind: Kind, aliases: [String] = [], group: String? = nil) {
            self.name = name
            self.kind = kind
            self.aliases = aliases
            self.group = group
        }

        /// An option as the library spells it: its other spellings are the aliases.
        public init(_ spelling: OptionSpelling, _ kind: Kind, group: String? = nil) {
            self.init(spelling.long, kind, aliases: spelling.otherSpellings, group: group)
        }

        public var variable: String { "CLOUD_WAL_" + String(name.uppercased().map { $0 == "-" ? "_" : $0 }) }
    }

    /// Every `wal-archive` option except the deprecated spellings (`--tags`, `--history-tags`,
    /// `--profile`), which have current equivalents here; names and aliases come from the
    /// library's `OptionSpelling`, as the CLI's do.
    public static let archiveOptions: [ArchiveOption] = [
        .init(.gzip, .flag, group: "compression"),
        .init(.bzip2, .flag, group: "compression"),
        .init(.xz, .flag, group: "compression"),
        .init(.snappy, .flag, group: "compression"),
        .init(.zstd, .flag, group: "compression"),
        .init(.lz4, .flag, group: "compression"),
        .init(.compressionLevel, .value),
        .init(.tag, .list),
        .init(.historyTag, .list),
        .init(.encryption, .value),
        .init(.sseKMSKeyID, .value),
        .init(.encryptionScope, .value),
        .init(.maxBlockSize, .value),
        .init(.maxConcurrency, .value),
        .init(.maxSinglePutSize, .value),
        .init(.kmsKeyName, .value),
        .init(.encryptionKeyring, .value),
        .init(.cloudProvider, .value),
        .init(.endpointURL, .value),
        .init(.awsProfile, .value),
        .init(.readTimeout, .value),
        .init(.addressingStyle, .value),
        .init(.azureCredential, .value),
        .init(.verbose, .flag),
        .init(.quiet, .flag),
    ]

    /// Command-line arguments for the options the environment sets and `commandLine` does not.
    public static func arguments(
        from environment: Environment, commandLine: [String], options: [ArchiveOption] = archiveOptions
    ) throws -> [String] {
        let given = options.filter { isGiven($0, in: commandLine) }
        let groupsGiven = Set(given.compactMap(\.group))
        var arguments: [String] = []
        for option in options where !given.contains(option) {
            if let group = option.group, groupsGiven.contains(group) { continue }
            guard let value = environment[option.variable] else { continue }
            switch option.kind {
            case .flag:
                if try parseBool(value, variable: option.variable) { arguments.append("--" + option.name) }
            case .value:
                arguments += ["--" + option.name, value]
            case .list:
                for item in value.split(separator: ";") where !item.allSatisfy(\.isWhitespace) {
                    arguments += ["--" + option.name, String(item)]
                }
            }
        }
        return arguments
    }

    /// Whether `option` (or an alias) appears among the arguments before `--`.
    static func isGiven(_ option: ArchiveOption, in commandLine: [String]) -> Bool {
        let spellings = ["--" + option.name] + option.aliases
        for argument in commandLine.prefix(while: { $0 != "--" }) {
            for spelling in spellings {
                if argument == spelling || argument.hasPrefix(spelling + "=") { return true }
                // Bundled short flags (`-vz`) and attached short values (`-Pprod`).
                if spelling.count == 2, !argument.hasPrefix("--"), argument.hasPrefix("-"),
                    argument.dropFirst().contains(spelling.last ?? " ")
                {
                    return true
                }
            }
        }
        return false
    }

    public static func parseBool(_ value: String, variable: String) throws -> Bool {
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: throw WALError(.invalidInput, "\(variable)=\(value) is not true or false")
        }
    }

    // MARK: - Destination

    /// The archive URL and server name: arguments first, then `CLOUD_WAL_DESTINATION` /
    /// `CLOUD_WAL_SERVER_NAME`, then WAL-E's `WALE_S3_PREFIX`, `WALE_GS_PREFIX` or
    /// `WALE_FILE_PREFIX`.
    ///
    /// A WAL-E prefix names the folder holding that cluster's archive (`s3://bucket/path/db`),
    /// so its last component becomes the server name and the rest the URL: our objects then land
    /// under the same prefix (`s3://bucket/path/db/wals/...`). With no path in the prefix, or
    /// with `CLOUD_WAL_SERVER_NAME` set, the whole prefix is the URL and the server name is
    /// `CLOUD_WAL_SERVER_NAME` or `postgres`.
    public static func destination(
        url: String?, serverName: String?, environment: Environment
    ) throws -> (url: String, serverName: String) {
        let namedServer = serverName ?? environment["CLOUD_WAL_SERVER_NAME"]
        if let url = url ?? environment["CLOUD_WAL_DESTINATION"] {
            guard let namedServer else {
                throw WALError(.invalidInput, "no server name: pass SERVER_NAME or set CLOUD_WAL_SERVER_NAME")
            }
            return (url, namedServer)
        }
        for variable in ["WALE_S3_PREFIX", "WALE_GS_PREFIX", "WALE_FILE_PREFIX"] {
            guard let prefix = environment[variable] else { continue }
            let url = walePrefixURL(prefix)
            if let namedServer { return (url, namedServer) }
            guard let split = splitLastComponent(url) else { return (url, "postgres") }
            return split
        }
        throw WALError(
            .invalidInput,
            "no destination: pass DESTINATION_URL SERVER_NAME, or set CLOUD_WAL_DESTINATION and "
                + "CLOUD_WAL_SERVER_NAME (or WAL-E's WALE_S3_PREFIX / WALE_GS_PREFIX / WALE_FILE_PREFIX)")
    }

    /// WAL-E writes file prefixes as `file://localhost/path`; ours are `file:///path`.
    static func walePrefixURL(_ prefix: String) -> String {
        var url = prefix
        while url.hasSuffix("/") { url.removeLast() }
        if url.hasPrefix("file://localhost/") { url = "file:///" + url.dropFirst("file://localhost/".count) }
        return url
    }

    /// `s3://bucket/a/b` → (`s3://bucket/a`, `b`); nil when the URL has no path below its bucket.
    static func splitLastComponent(_ url: String) -> (url: String, serverName: String)? {
        guard let schemeEnd = url.firstIndex(of: ":"), url[schemeEnd...].hasPrefix("://") else { return nil }
        let rest = url[url.index(schemeEnd, offsetBy: 3)...]
        let components = rest.split(separator: "/", omittingEmptySubsequences: true)
        // file:///path: every component is path; s3://bucket/path: the first is the bucket.
        let minimum = url.hasPrefix("file:") ? 1 : 2
        guard components.count >= minimum, let last = components.last else { return nil }
        let parent = String(url[..<url.index(url.endIndex, offsetBy: -last.count - 1)])
        return (parent.hasSuffix(":/") ? parent + "/" : parent, String(last))
    }

    // MARK: - Listening, paths and token

    /// The settings from the environment; `listenAddress`/`listenPort`/`listenSocket`, when
    /// given, come from the command line and win.
    public static func settings(
        environment: Environment, listenAddress: String? = nil, listenPort: Int? = nil, listenSocket: String? = nil
    ) throws -> SidecarSettings {
        let dataDirectory = environment["PGDATA"] ?? "/var/lib/postgresql/data"
        let port: Int
        if let listenPort {
            port = listenPort
        } else if let text = environment["WALE_LISTEN_PORT"] {
            guard let parsed = Int(text) else { throw WALError(.invalidInput, "WALE_LISTEN_PORT=\(text) is not a port number") }
            port = parsed
        } else {
            port = 80
        }
        let defaults = ConnectionLimits()
        let limits = ConnectionLimits(
            idleTimeout: try seconds(environment, "CLOUD_WAL_IDLE_TIMEOUT") ?? defaults.idleTimeout,
            headerTimeout: try seconds(environment, "CLOUD_WAL_HEADER_TIMEOUT") ?? defaults.headerTimeout,
            maxConnections: try positive(environment, "CLOUD_WAL_MAX_CONNECTIONS") ?? defaults.maxConnections)
        let socket = listenSocket ?? environment["CLOUD_WAL_LISTEN_SOCKET"]
        let spool = environment["CLOUD_WAL_SPOOL_DIR"] ?? environment["TMPDIR"] ?? "/tmp"
        return SidecarSettings(
            listenAddress: listenAddress ?? environment["CLOUD_WAL_LISTEN_ADDRESS"] ?? "0.0.0.0",
            listenPort: port,
            socketPath: socket?.isEmpty == true ? nil : socket,
            dataDirectory: dataDirectory,
            walDirectory: environment["PGWAL"] ?? dataDirectory + "/pg_wal",
            token: try token(environment: environment),
            allowUnauthenticated: try parseBool(
                environment["CLOUD_WAL_ALLOW_UNAUTHENTICATED"] ?? "", variable: "CLOUD_WAL_ALLOW_UNAUTHENTICATED"),
            requestTimeout: try seconds(environment, "CLOUD_WAL_REQUEST_TIMEOUT") ?? .seconds(600),
            spoolDirectory: spool,
            fetchAhead: try count(environment, "CLOUD_WAL_FETCH_AHEAD", maximum: SidecarSettings.maxFetchAhead)
                ?? defaultFetchAhead,
            limits: limits,
            archiveAhead: try count(environment, "CLOUD_WAL_ARCHIVE_AHEAD", maximum: SidecarSettings.maximumArchiveAhead)
                ?? SidecarSettings.defaultArchiveAhead,
            stateDirectory: environment["CLOUD_WAL_STATE_DIR"])
    }

    /// A whole number from 0 (off) to `maximum` from `variable`, or nil when unset.
    static func count(_ environment: Environment, _ variable: String, maximum: Int) throws -> Int? {
        guard let text = environment[variable] else { return nil }
        guard let value = Int(text), (0...maximum).contains(value) else {
            throw WALError(
                .invalidInput, "\(variable)=\(text.prefix(40)) is not a whole number from 0 (off) to \(maximum)")
        }
        return value
    }

    /// Segments `/wal-fetch` keeps ready by default: WAL-E's `wal-fetch --prefetch` default,
    /// which the sidecar replaces.
    public static let defaultFetchAhead = 8

    /// A positive whole number from `variable`, or nil when unset.
    static func positive(_ environment: Environment, _ variable: String) throws -> Int? {
        guard let text = environment[variable] else { return nil }
        guard let value = Int(text), value > 0 else {
            throw WALError(.invalidInput, "\(variable)=\(text.prefix(40)) is not a positive whole number")
        }
        return value
    }

    static func seconds(_ environment: Environment, _ variable: String) throws -> Duration? {
        guard let text = environment[variable] else { return nil }
        guard let value = Int(text), value > 0, value <= 86_400 * 7 else {
            throw WALError(.invalidInput, "\(variable)=\(text.prefix(40)) is not a positive number of seconds")
        }
        return .seconds(value)
    }

    /// `CLOUD_WAL_TOKEN`, or the content of `CLOUD_WAL_TOKEN_FILE` (a mounted secret); not both.
    public static func token(environment: Environment) throws -> BearerToken? {
        let direct = environment["CLOUD_WAL_TOKEN"]
        let file = environment["CLOUD_WAL_TOKEN_FILE"]
        if direct != nil, file != nil {
            throw WALError(.invalidInput, "set CLOUD_WAL_TOKEN or CLOUD_WAL_TOKEN_FILE, not both")
        }
        if let direct {
            guard let token = BearerToken(direct) else { throw WALError(.invalidInput, "CLOUD_WAL_TOKEN is blank") }
            return token
        }
        guard let file else { return nil }
        let text: String
        do {
            text = try readSmallFile(file)
        } catch let error as SystemError {
            throw WALError(.invalidInput, "CLOUD_WAL_TOKEN_FILE: \(error.reason)")
        }
        guard let token = BearerToken(text) else { throw WALError(.invalidInput, "CLOUD_WAL_TOKEN_FILE \(file) is empty") }
        return token
    }

    private static func readSmallFile(_ path: String) throws -> String {
        let handle = try FileHandle.openForReading(path)
        defer { try? handle.close() }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = try buffer.withUnsafeMutableBytes { try handle.readFully(into: $0) }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }
}
