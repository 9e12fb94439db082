import CloudWAL
import Testing

/// `restore --encryption-keyring`: the written restore_command passes the keyring to wal-restore.
@Suite struct RestoreCommandKeyringTests {
    @Test func restoreCommandCarriesTheKeyring() throws {
        var arguments = RestoreArguments(
            sourceURL: "file:///srv/wal", serverName: "pg1", backupID: "latest", recoveryDirectory: "/tmp/r",
            cloud: CloudOptions())
        arguments.recoveryTargetName = "before"
        arguments.encryptionKeyring = "/etc/cloud-wal/keyring"
        let request = try RestoreRequest(arguments)
        let command = try #require(try request.recoveryConfig?.restoreCommand())
        #expect(command.hasSuffix(" wal-restore --encryption-keyring /etc/cloud-wal/keyring file:///srv/wal pg1 %f %p"))
        arguments.encryptionKeyring = nil
        #expect(try RestoreRequest(arguments).recoveryConfig?.restoreCommand().contains("--encryption-keyring") == false)
    }
}
