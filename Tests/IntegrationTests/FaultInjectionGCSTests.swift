import Testing

/// The fault matrix against fake-gcs-server: every fault of `FaultScenario` for wal-archive,
/// wal-restore (with and without -p, and in targeted recovery) and backup-list, through the
/// scripted proxy. See `FaultMatrix.check` for what each case must show.
@Suite("Fault injection (fake-gcs-server)", .faultBackend(.gcs))
struct FaultInjectionGCSTests {
    @Test(arguments: FaultScenario.all(for: .gcs))
    func fault(_ scenario: FaultScenario) async throws {
        try await FaultMatrix.check(scenario)
    }
}
