import CloudWAL
import Testing

/// backup-list and backup-show output, byte for byte against what barman 3.19.1's own code
/// prints for the same backup.info files (`CatalogOracle`).
@Suite("backup-list and backup-show output")
struct CatalogOutputTests {
    static func infos() throws -> [BackupInfo] {
        [
            try BackupInfo(backupID: "20251024T022608", text: CatalogOracle.sampleInfo),
            try BackupInfo(backupID: "20251025T010000", text: CatalogOracle.failedInfo),
        ]
    }

    @Test func listConsoleMatchesBarman() throws {
        let catalog = CatalogSnapshot(backups: try Self.infos(), keepTargets: ["20251024T022608": .standalone])
        #expect(CatalogConsole.listLines(catalog).joined(separator: "\n") == CatalogOracle.listConsole)
    }

    @Test func listJSONMatchesBarman() throws {
        #expect(CatalogJSON.list(CatalogSnapshot(backups: try Self.infos())) == CatalogOracle.listJSON)
    }

    @Test func emptyListIsAHeaderOrAnEmptyArray() {
        let empty = CatalogSnapshot(backups: [])
        #expect(CatalogConsole.listLines(empty) == [
            "Backup ID           End Time                 Begin Wal                     Archival Status  Name                "
        ])
        #expect(CatalogJSON.list(empty) == #"{"backups_list": []}"#)
    }

    @Test func showOfADoneBackupMatchesBarman() throws {
        let info = try Self.infos()[0]
        #expect(CatalogConsole.showLines(info).joined(separator: "\n") == CatalogOracle.sampleShowConsole)
        #expect(CatalogJSON.show(info) == CatalogOracle.sampleShowJSON)
    }

    @Test func showOfAFailedBackupMatchesBarman() throws {
        let info = try Self.infos()[1]
        #expect(CatalogConsole.showLines(info).joined(separator: "\n") == CatalogOracle.failedShowConsole)
        #expect(CatalogJSON.show(info) == CatalogOracle.failedShowJSON)
    }

    @Test func aFullKeepShowsAsKeepFullAndNonDoneBackupsShowTheirStatus() throws {
        var started = CatalogFixture.info("20251026T000000", begin: nil, end: nil, endTime: nil, status: .started)
        started.backupName = "in flight"
        let catalog = CatalogSnapshot(
            backups: try Self.infos() + [started], keepTargets: ["20251024T022608": .full])
        let lines = CatalogConsole.listLines(catalog)
        #expect(lines[1].contains("KEEP:FULL        nightly"))
        #expect(lines[3] == "20251026T000000" + String(repeating: " ", count: 5 + 25 + 30) + "STARTED          in flight           ")
    }

    @Test(arguments: [
        (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (23_456_789, "22.4 MiB"),
        (1_048_576 * 5 / 100, "51.2 KiB"), (1_181, "1.2 KiB"), (1_126, "1.1 KiB"), (1_075_000_000_000, "1001.2 GiB"),
        (1 << 60, "1.0 EiB"), (1280, "1.2 KiB"), (1792, "1.8 KiB"), (1280 * 1024, "1.2 MiB"),
    ])
    func prettySizeRoundsLikePythonsPercentFormat(size: Int, expected: String) {
        #expect(BarmanText.prettySize(size) == expected)
    }

    @Test(arguments: [
        (0.5, "less than one second"), (1, "1 second"), (61, "1 minute, 1 second"),
        (3725.5, "1 hour, 2 minutes, 5 seconds"), (86_400, "1 day"), (90_061.9, "1 day, 1 hour, 1 minute, 1 second"),
        (345_601, "4 days, 1 second"),
    ])
    func durationsReadLikeBarmans(seconds: Double, expected: String) {
        #expect(BarmanText.humanReadableDuration(seconds: seconds) == expected)
    }

    @Test func pythonJSONEscapesLikeEnsureASCII() {
        let value = PythonJSON.object([
            .init("a\"b", .string("tab\there é 🐘 \u{7F}")), .init("n", .array([.int(-1), .float(0.5), .null, .bool(true)])),
        ])
        #expect(value.text == #"{"a\"b": "tab\there \u00e9 \ud83d\udc18 \u007f", "n": [-1, 0.5, null, true]}"#)
    }
}
