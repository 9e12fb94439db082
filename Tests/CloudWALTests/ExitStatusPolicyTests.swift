import CloudWAL
import Testing

/// The one classification from errors to exit statuses, for every command kind.
@Suite("Exit statuses from error categories")
struct ExitStatusPolicyTests {
    struct Unclassified: Error {}

    @Test(arguments: [
        (ExitStatusPolicy.Command.archive, false, Int32(1)),
        (.restore, false, 4),
        (.restore, true, 255),
        (.catalog, false, 4),
        (.other, false, 1),
    ])
    func anUnclassifiedErrorIsAFailureNeverNotFound(command: ExitStatusPolicy.Command, recovery: Bool, expected: Int32) {
        #expect(FailureCategory(of: Unclassified()) == .internal)
        #expect(ExitStatusPolicy.code(for: Unclassified(), command: command, inTargetedRecovery: recovery) == expected)
    }

    @Test func restoreSaysNotFoundOnlyForAWALFileThatIsNotArchived() {
        let notArchived = WALError(.notFound, "WAL file 000000010000000000000001 does not exist")
        #expect(ExitStatusPolicy.code(for: notArchived, command: .restore, inTargetedRecovery: true) == 1)
        // A missing bucket, an object gone between list and get, a codec failure: never 1.
        let errors: [any Error] = [
            StorageError(.notFound, "Bucket b does not exist"),
            WALError(.storage(.notFound), "x: no such object"),
            CompressionError("zstd: unknown frame descriptor"),
            StorageError(.accessDenied, "Access denied"),
            WALError(.corrupt, "SHA-256 differs"),
            HTTPTransportError(.other, "TLS failed"),
        ]
        for error in errors {
            #expect(ExitStatusPolicy.code(for: error, command: .restore, inTargetedRecovery: false) == 4, "\(error)")
            #expect(ExitStatusPolicy.code(for: error, command: .restore, inTargetedRecovery: true) == 255, "\(error)")
        }
    }

    @Test func unreachableIsTwoAndBadInputThreeEverywhere() {
        let unreachable = StorageError(.unreachable, "Cannot reach S3")
        let input = WALError(.invalidInput, "not a WAL name")
        for command in [ExitStatusPolicy.Command.archive, .restore, .catalog, .other] {
            #expect(ExitStatusPolicy.code(for: unreachable, command: command, inTargetedRecovery: false) == 2)
            #expect(ExitStatusPolicy.code(for: input, command: command, inTargetedRecovery: false) == 3)
        }
        #expect(ExitStatusPolicy.code(for: unreachable, command: .restore, inTargetedRecovery: true) == 255)
    }

    @Test func archiveRefusalsAreOne() {
        #expect(ExitStatusPolicy.code(for: WALError(.conflict, "differs"), command: .archive, inTargetedRecovery: false) == 1)
        #expect(ExitStatusPolicy.code(for: WALError(.sourceUnreadable, "gone"), command: .archive, inTargetedRecovery: false) == 1)
        #expect(ExitStatusPolicy.code(for: BackupError(.refused, "kept"), command: .catalog, inTargetedRecovery: false) == 1)
        #expect(ExitStatusPolicy.code(for: BackupError(.corrupt, "bad"), command: .catalog, inTargetedRecovery: false) == 4)
    }
}
