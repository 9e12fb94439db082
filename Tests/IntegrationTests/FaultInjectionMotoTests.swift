import Testing

/// The fault matrix against moto: every fault of `FaultScenario` for wal-archive,
/// wal-restore (with and without -p, and in targeted recovery) and backup-list, through the
/// scripted proxy. See `FaultMatrix.check` for what each case must show.
@Suite("Fault injection (moto)", .faultBackend(.moto))
struct FaultInjectionMotoTests {
    @Test(arguments: FaultScenario.all(for: .moto))
    func fault(_ scenario: FaultScenario) async throws {
        try await FaultMatrix.check(scenario)
    }
}
