import Foundation
import Testing

/// The encryption options as the binary exposes them: `keyring add`, `--encryption-keyring` on
/// the WAL commands, exit statuses and one-line errors without key material, and the format read
/// back by the independent Python implementation (`scripts/cwenc.py`) from a real archive.
@Suite("Encryption on the command line", .serialized)
struct EncryptionCLITests {
    static let segment = "000000010000000000000002"

    @Test func keyringAddExitStatusesAndMessages() async throws {
        let fx = try CLITests.Fixture()
        defer { fx.cleanup() }
        let keyring = fx.dir.path + "/keyring"
        let created = try await fx.binary.run(["keyring", "add", keyring, "--name", "k1"])
        #expect(created.status == 0 && created.stdout.contains("'k1'"), "\(created.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: keyring)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try await fx.binary.run(["keyring", "add", keyring, "--name", "k1"]).status == 3, "duplicate name")
        #expect(try await fx.binary.run(["keyring", "add", keyring, "--name", "a/b"]).status == 3, "bad name")
        #expect(try await fx.binary.run(["keyring", "remove", keyring]).status == 3, "unknown action")
        let rotated = try await fx.binary.run(["keyring", "add", keyring])
        #expect(rotated.status == 0 && rotated.stdout.contains("'key-"), "default name: \(rotated.stdout)")
        #expect(try String(contentsOfFile: keyring, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.count == 3)
    }

    @Test func walCommandsTakeTheKeyringAndRefuseAnOpenOne() async throws {
        let fx = try CLITests.Fixture()
        defer { fx.cleanup() }
        for (arguments, name) in [(["--help"], "cloud-wal-archive"), (["--help"], "cloud-wal-restore"), (["serve", "--help"], "cloud-wal"),
                                  (["backup", "--help"], "cloud-wal"), (["restore", "--help"], "cloud-wal"),
                                  (["verify", "--help"], "cloud-wal")] {
            #expect(try await fx.binary.run(arguments, as: name).stdout.contains("--encryption-keyring"), "\(name) \(arguments)")
        }
        let keyring = fx.dir.path + "/keyring"
        _ = try await fx.binary.run(["keyring", "add", keyring, "--name", "k1"])
        let secret = try String(contentsOfFile: keyring, encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix("k1 ") }.map { String($0.dropFirst(3)) } ?? ""
        #expect(secret.count == 44)
        let wal = try fx.writeSegment(Self.segment)
        #expect(chmod(keyring, 0o640) == 0)
        let open = try await fx.archive(["--encryption-keyring", keyring, fx.archiveURL, "pg1", wal])
        #expect(open.status == 3, "\(open.stderr)")
        #expect(open.stderr.contains("chmod 600") && !open.stderr.contains(secret))
        #expect(open.stderr.split(separator: "\n").count == 1, "one line: \(open.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fx.dir.path + "/archive/pg1"), "nothing archived")
        let missing = try await fx.archive(["--encryption-keyring", fx.dir.path + "/absent", fx.archiveURL, "pg1", wal])
        #expect(missing.status == 3)
    }

    /// What the archive path stores is what docs/encryption-format.md describes: the second
    /// implementation decrypts it to the very segment, with the trailer's digest of it.
    @Test func pythonReaderDecryptsWhatWALArchiveStored() async throws {
        let fx = try CLITests.Fixture()
        defer { fx.cleanup() }
        let keyring = fx.dir.path + "/keyring"
        _ = try await fx.binary.run(["keyring", "add", keyring, "--name", "old"])
        _ = try await fx.binary.run(["keyring", "add", keyring, "--name", "new"])
        let wal = try fx.writeSegment(Self.segment, seed: 9)
        let archived = try await fx.archive(["--encryption-keyring", keyring, fx.archiveURL, "pg1", wal])
        #expect(archived.status == 0, "\(archived.stderr)")
        let object = fx.dir.path + "/archive/pg1/wals/0000000100000000/\(Self.segment).cwenc"
        // This file is one folder above Support/, where packageRoot's default counts from.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/scripts/cwenc.py"
        let output = fx.dir.path + "/plain"
        let result = try await ProcessRunner.run(
            "/bin/sh", ["-c", "\"$0\" \"$1\" decrypt \"$2\" \"$3\" < \"$4\" > \"$5\"",
                        TestVenv.python, script, keyring, "wal/pg1/\(Self.segment)", object, output])
        #expect(result.status == 0, "\(result.stderr)")
        let original = try #require(FileManager.default.contents(atPath: wal))
        #expect(FileManager.default.contents(atPath: output) == original)
        #expect(result.stderr.contains("\(original.count) bytes"))
        // Under another identity (the object renamed onto another segment) it fails there too.
        let renamed = try await ProcessRunner.run(
            "/bin/sh", ["-c", "\"$0\" \"$1\" decrypt \"$2\" \"$3\" < \"$4\" > /dev/null",
                        TestVenv.python, script, keyring, "wal/pg1/000000010000000000000003", object])
        #expect(renamed.status != 0)
    }
}
