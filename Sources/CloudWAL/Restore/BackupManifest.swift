/// `cloudwal-manifest.json`, which cloud-wal's `backup` stores beside the tars:
/// `{"version":1,"files":[{"key":"data.tar.gz","sha256":"<hex>","tar_bytes":N,"stored_bytes":M},...]}`.
/// `key` is relative to the backup folder; `sha256` and `tar_bytes` describe the *decompressed*
/// tar, so restore can prove every byte it unpacked. barman-cloud backups have no manifest.
public struct BackupManifest: Sendable, Equatable {
    public static let fileName = "cloudwal-manifest.json"

    public struct File: Sendable, Equatable {
        public let key: String
        public let sha256: String
        public let tarBytes: Int
        public let storedBytes: Int?

        public init(key: String, sha256: String, tarBytes: Int, storedBytes: Int? = nil) {
            self.key = key
            self.sha256 = sha256
            self.tarBytes = tarBytes
            self.storedBytes = storedBytes
        }
    }

    public let files: [String: File]

    public init(files: [File]) {
        var byKey: [String: File] = [:]
        for file in files { byKey[file.key] = file }
        self.files = byKey
    }

    public init(json bytes: [UInt8]) throws {
        func corrupt(_ why: String) -> BackupError { BackupError(.corrupt, "\(Self.fileName) is invalid: \(why)") }
        guard let document = JSONValue.parse(String(decoding: bytes, as: UTF8.self)) else { throw corrupt("not JSON") }
        guard document["version"]?.intValue == 1 else { throw corrupt("unsupported version") }
        guard let entries = document["files"]?.arrayValue else { throw corrupt("no files list") }
        var files: [File] = []
        for entry in entries {
            guard let key = entry["key"]?.stringValue, let sha = entry["sha256"]?.stringValue,
                let tarBytes = entry["tar_bytes"]?.intValue
            else { throw corrupt("an entry lacks key, sha256 or tar_bytes") }
            files.append(File(key: key, sha256: sha.lowercased(), tarBytes: tarBytes,
                              storedBytes: entry["stored_bytes"]?.intValue))
        }
        self.init(files: files)
    }
}
