import ArgumentParser
import CloudWAL

/// `cloud-wal keyring`: the keyring files of client-side encryption.
struct KeyringCommand: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyring",
        abstract: "Make and rotate the keyring of client-side encryption (--encryption-keyring).",
        subcommands: [KeyringAddCommand.self])

    func execute() async throws {
        print(Self.helpMessage())
    }
}

/// `cloud-wal keyring add PATH [--name NAME]`.
struct KeyringAddCommand: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Put a new random key first in a keyring, creating it (mode 0600) when absent.",
        discussion: """
            The new key encrypts from now on; every older key stays and still decrypts, so rotating \
            is running this again. Keep a copy of the keyring: without its keys nothing encrypted \
            with them can be restored. Exit status: 0 added, 1 not written, 3 bad input.
            """)

    @Argument(help: "The keyring file.")
    var path: String

    @Option(name: .customLong("name"), help: "The new key's name (default key-<UTC time>): 1 to 64 of A-Z a-z 0-9 . _ -.")
    var name: String?

    func execute() async throws {
        let added = try KeyringFile.add(path, name: name)
        let what = added.created ? "Created \(path) with key '\(added.name)'" : "Added key '\(added.name)' to \(path)"
        print("\(what); it encrypts from now on (\(added.keyCount) key\(added.keyCount == 1 ? "" : "s") in all)")
    }
}
