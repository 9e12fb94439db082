import CloudWAL
import CloudWALServer
import Testing

/// `CLOUD_WAL_ARCHIVE_AHEAD` and `CLOUD_WAL_STATE_DIR`: on by default, 0 turns it off, and the
/// state folder sits beside the spool unless named.
@Suite("Sidecar archive-ahead settings")
struct ArchiveAheadSettingsTests {
    @Test func onByDefaultWithItsStateBesideTheSpool() throws {
        let settings = try SidecarEnvironment.settings(environment: Environment(["CLOUD_WAL_SPOOL_DIR": "/srv/spool"]))
        #expect(settings.archiveAhead == SidecarSettings.defaultArchiveAhead)
        #expect(settings.archiveAhead > 0)
        #expect(settings.stateDirectory == "/srv/spool/cloud-wal-archive-ahead")
        let fromTMPDIR = try SidecarEnvironment.settings(environment: Environment(["TMPDIR": "/var/tmp/"]))
        #expect(fromTMPDIR.stateDirectory == "/var/tmp/cloud-wal-archive-ahead")
    }

    @Test func theVariablesSetBoth() throws {
        let settings = try SidecarEnvironment.settings(environment: Environment([
            "CLOUD_WAL_ARCHIVE_AHEAD": "0", "CLOUD_WAL_STATE_DIR": "/var/lib/cloud-wal/state",
        ]))
        #expect(settings.archiveAhead == 0)
        #expect(settings.stateDirectory == "/var/lib/cloud-wal/state")
        let sixteen = try SidecarEnvironment.settings(environment: Environment(["CLOUD_WAL_ARCHIVE_AHEAD": "16"]))
        #expect(sixteen.archiveAhead == 16)
    }

    @Test(arguments: ["-1", "65", "four", "4.5", " 4"])
    func aBadCountIsRefusedWithTheVariableNamed(_ value: String) {
        #expect {
            _ = try SidecarEnvironment.settings(environment: Environment(["CLOUD_WAL_ARCHIVE_AHEAD": value]))
        } throws: { error in
            (error as? WALError)?.category == .input && "\(error)".contains("CLOUD_WAL_ARCHIVE_AHEAD")
        }
    }

    @Test func validateRefusesAnEmptyStateDirectoryAndTooMany() {
        var settings = SidecarSettings(allowUnauthenticated: true, stateDirectory: "")
        #expect(throws: SidecarFailure.self) { _ = try settings.validate() }
        settings.stateDirectory = "/x"
        settings.archiveAhead = SidecarSettings.maximumArchiveAhead + 1
        #expect(throws: SidecarFailure.self) { _ = try settings.validate() }
        settings.archiveAhead = 0
        #expect(throws: Never.self) { _ = try settings.validate() }
    }
}
