import Crypto

/// Named 256-bit keys: the first encrypts, every one decrypts, so rotating is adding a new first
/// key and keeping the old ones. Read from and written to a file by `KeyringFile`.
///
/// Text format (docs/encryption-format.md): a `cloud-wal-keyring 1` line, then one
/// `NAME BASE64-KEY` line per key, first key first; blank lines and `#` comments are ignored.
public struct Keyring: Sendable, CustomStringConvertible {
    public struct Key: Sendable, CustomStringConvertible {
        public let name: String
        let material: SymmetricKey

        public init(name: String, bytes: [UInt8]) throws {
            guard KeyName.isValid(name) else {
                throw EncryptionError(.keyringInvalid, "invalid key name: use 1 to 64 of A-Z a-z 0-9 . _ -")
            }
            guard bytes.count == 32 else {
                throw EncryptionError(.keyringInvalid, "key '\(name)' is \(bytes.count) bytes, not 32")
            }
            self.name = name
            self.material = SymmetricKey(data: bytes)
        }

        /// A new random key (the system's CSPRNG, through BoringSSL).
        public static func random(name: String) throws -> Key {
            let key = SymmetricKey(size: .bits256)
            return try key.withUnsafeBytes { try Key(name: name, bytes: Array($0)) }
        }

        public var description: String { "key '\(name)'" }
    }

    public static let versionLine = "cloud-wal-keyring 1"

    /// Never empty; the first encrypts.
    public let keys: [Key]
    /// Where it came from, for messages (a path).
    public let origin: String

    public init(keys: [Key], origin: String) throws {
        guard !keys.isEmpty else { throw EncryptionError(.keyringInvalid, "keyring \(origin) holds no key") }
        var seen = Set<String>()
        for key in keys where !seen.insert(key.name).inserted {
            throw EncryptionError(.keyringInvalid, "keyring \(origin) holds the key name '\(key.name)' twice")
        }
        self.keys = keys
        self.origin = origin
    }

    /// The key new objects are encrypted with.
    public var encryptingKey: Key { keys[0] }

    public func key(named name: String) -> Key? {
        keys.first { $0.name == name }
    }

    /// Names only: a keyring never prints its keys.
    public var description: String { "keyring \(origin) (\(keys.map(\.name).joined(separator: ", ")))" }

    // MARK: - Text

    /// Parses the file's bytes. Errors name the line, never its content (it may hold a key).
    public static func parse(_ text: [UInt8], origin: String) throws -> Keyring {
        guard let string = String(validating: text, as: UTF8.self) else {
            throw EncryptionError(.keyringInvalid, "keyring \(origin) is not UTF-8 text")
        }
        var sawVersion = false
        var keys: [Key] = []
        // `isNewline`: "\r\n" is one Character in Swift, so splitting on "\n" alone would miss it.
        for (number, line) in string.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty || line.first == "#" { continue }
            if !sawVersion {
                guard fields.count == 2, fields[0] == "cloud-wal-keyring" else {
                    throw EncryptionError(.keyringInvalid, "keyring \(origin) does not start with '\(versionLine)'")
                }
                guard fields[1] == "1" else {
                    throw EncryptionError(
                        .unsupported, "keyring \(origin) has unsupported version \(fields[1].prefix(8))")
                }
                sawVersion = true
                continue
            }
            guard fields.count == 2, let bytes = Base64.decode(String(fields[1])) else {
                throw EncryptionError(.keyringInvalid, "keyring \(origin) line \(number + 1) is not 'NAME BASE64-KEY'")
            }
            do {
                keys.append(try Key(name: String(fields[0]), bytes: bytes))
            } catch let error as EncryptionError {
                throw EncryptionError(error.kind, "keyring \(origin) line \(number + 1): \(error.message)")
            }
        }
        guard sawVersion else {
            throw EncryptionError(.keyringInvalid, "keyring \(origin) does not start with '\(versionLine)'")
        }
        return try Keyring(keys: keys, origin: origin)
    }

    /// The file's text: the version line, a reminder, one line per key.
    public func serialized() -> [UInt8] {
        var text = Self.versionLine + "\n"
        text += "# cloud-wal encryption keys: the first encrypts, every one decrypts. Keep this file secret\n"
        text += "# and keep every key as long as objects encrypted with it are kept.\n"
        for key in keys {
            text += key.name + " " + key.material.withUnsafeBytes { Base64.encode($0) } + "\n"
        }
        return Array(text.utf8)
    }

    /// A keyring with `key` first and every key of this one after it.
    public func adding(_ key: Key) throws -> Keyring {
        guard self.key(named: key.name) == nil else {
            throw EncryptionError(.keyringInvalid, "keyring \(origin) already holds a key named '\(key.name)'")
        }
        return try Keyring(keys: [key] + keys, origin: origin)
    }
}
