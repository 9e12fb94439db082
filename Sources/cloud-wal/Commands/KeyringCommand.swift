import ArgumentParser
import CloudWAL

/// `cloud-wal keyring add PATH [--name NAME]`: makes and rotates the keyring files of client-side
/// encryption. One command with an action argument, so its help shows every option.
struct KeyringCommand: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyring",
        abstract: "Make and rotate the keyring of client-side encryption (--encryption-keyring).",
        discussion: """
            add: put a new random key first in the keyring PATH, creating it (mode 0600) when \
            absent. The new key encrypts from now on; every older key stays and still decrypts, so \
            rotating is running it again. Keep a copy of the keyring: without its keys nothing \
            encrypted with them can be restored. Exit status: 0 added, 1 not written, 3 bad input.
            """)

    enum Action: String, ExpressibleByArgument, CaseIterable {
        case add
    }

    @Argument(help: "What to do: add.")
    var action: Action

    @Argument(help: "The keyring file.")
    var path: String

    @Option(name: .customLong("name"), help: "The new key's name (default key-<UTC time>): 1 to 64 of A-Z a-z 0-9 . _ -.")
    var name: String?

    func execute() async throws {
        switch action {
        case .add:
            let added = try KeyringFile.add(path, name: name)
            let what = added.created ? "Created \(path) with key '\(added.name)'" : "Added key '\(added.name)' to \(path)"
            print("\(what); it encrypts from now on (\(added.keyCount) key\(added.keyCount == 1 ? "" : "s") in all)")
        }
    }
}
