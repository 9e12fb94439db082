import Testing

/// The fault matrix against the Azure fake: every fault of `FaultScenario` for wal-archive,
/// wal-restore (with and without -p, and in targeted recovery) and backup-list, through the
/// scripted proxy. See `FaultMatrix.check` for what each case must show.
@Suite("Fault injection (the Azure fake)", .faultBackend(.azure))
struct FaultInjectionAzureTests {
    @Test(arguments: FaultScenario.all(for: .azure))
    func fault(_ scenario: FaultScenario) async throws {
        try await FaultMatrix.check(scenario)
    }
}
