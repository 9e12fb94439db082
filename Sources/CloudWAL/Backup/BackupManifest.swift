/// `cloudwal-manifest.json` beside a backup's tars: the SHA-256 and sizes of each tar's
/// uncompressed bytes, so a restore proves it unpacked exactly what was backed up. barman-cloud
/// ignores the file (it looks only for `data*` and `<oid>*` tars and `backup.info`), and
/// `backup.info` stays free of fields barman would reject.
public struct BackupManifest: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        /// Relative to the backup's folder.
        public var key: String
        public var sha256: String
        public var tarBytes: Int
        public var storedBytes: Int

        public init(key: String, sha256: String, tarBytes: Int, storedBytes: Int) {
            self.key = key
            self.sha256 = sha256
            self.tarBytes = tarBytes
            self.storedBytes = storedBytes
        }
    }

    public static let fileName = "cloudwal-manifest.json"
    /// The manifest of an encrypted backup: its checksums are of the plaintext, so they are
    /// encrypted with it.
    public static let encryptedFileName = fileName + EncryptedObjectName.suffix

    /// Whether `name` (inside a backup's folder) is a manifest, plain or encrypted.
    public static func isManifest(_ name: String) -> Bool {
        name == fileName || name == encryptedFileName
    }

    public var files: [File]

    public init(files: [File]) { self.files = files }

    public var json: String {
        let entries = files.map { file in
            "{\"key\":\(JSONText.quoted(file.key)),\"sha256\":\"\(file.sha256)\","
                + "\"tar_bytes\":\(file.tarBytes),\"stored_bytes\":\(file.storedBytes)}"
        }
        return "{\"version\":1,\"files\":[" + entries.joined(separator: ",") + "]}\n"
    }

    /// Reads the file; `nil` when it is not a manifest this version understands.
    public init?(json text: String) {
        guard case .object(let root)? = JSONValue.parse(text), case .array(let items)? = root["files"] else {
            return nil
        }
        var files: [File] = []
        for item in items {
            guard case .object(let fields) = item, case .string(let key)? = fields["key"],
                case .string(let sha256)? = fields["sha256"], case .number(let tarText)? = fields["tar_bytes"],
                case .number(let storedText)? = fields["stored_bytes"], let tarBytes = Int(tarText),
                let storedBytes = Int(storedText)
            else { return nil }
            files.append(File(key: key, sha256: sha256, tarBytes: tarBytes, storedBytes: storedBytes))
        }
        self.files = files
    }
}
