import CloudWAL
import CloudWALServer
import Testing

@Suite("Sidecar error → HTTP status mapping")
struct FailureMappingTests {
    @Test(arguments: [
        (WALError(.invalidInput, "x") as any Error & Sendable, 400),
        (WALError(.notFound, "x"), 404),
        (WALError(.conflict, "x"), 409),
        (WALError(.storage(.unreachable), "x"), 503),
        (StorageError(.unreachable, "x"), 503),
        (WALError(.sourceUnreadable, "x"), 500),
        (WALError(.corrupt, "x"), 500),
        (WALError(.destinationFailed, "x"), 500),
        // Never 404 for what is not "the segment is not archived": restore_command would end recovery.
        (WALError(.storage(.notFound), "bucket missing"), 500),
        (StorageError(.notFound, "bucket missing"), 500),
        (WALError(.storage(.accessDenied), "x"), 500),
        (CancellationError(), 503),
        (SidecarFailure.unauthorized, 401),
    ])
    func statuses(error: any Error & Sendable, status: Int) {
        #expect(SidecarFailure(error).status == status, "\(error)")
    }

    @Test func destinationRejectionIs400AndMessagesAreOneLine() {
        let failure = SidecarFailure(WALError(.conflict, "first line\nsecond line\r\nthird"))
        #expect(failure.message == "first line second line third")
        #expect(failure.reason == .conflict)
        struct Other: Error {}
        #expect(SidecarFailure(Other()).status == 500)
        #expect(SidecarFailure(Other()).reason == .internalError)
    }
}
