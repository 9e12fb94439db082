import ArgumentParser
import CloudWAL

/// Client-side encryption, for the commands that write or read WAL and base backups
/// (`wal-archive`, `wal-restore`, `backup`, `verify`, `serve`). Apart from barman-cloud's
/// `-e/--encryption`, which is the store's own.
struct EncryptionOptions: ParsableArguments {
    @Option(
        name: .spelled(.encryptionKeyring),
        help: ArgumentHelp(
            "Encrypt what is stored with the first key of this keyring file, and decrypt with any of its keys (made by 'cloud-wal keyring add'; mode 0600, ours).",
            valueName: "path"))
    var encryptionKeyring: String?

    /// The keyring, read and checked now: a bad one is refused before anything is touched.
    func keyring() throws -> Keyring? {
        try encryptionKeyring.map(KeyringFile.load)
    }
}
