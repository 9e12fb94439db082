import CloudWAL
import Testing

/// Parsing and evaluating retention policies exactly as barman's `retention_policies.py`.
@Suite("retention policies")
struct RetentionPolicyTests {
    @Test(arguments: [
        ("REDUNDANCY 2", RetentionPolicy.redundancy(2)),
        ("  redundancy   7 ", .redundancy(7)),
        ("Redundancy 0", .redundancy(0)),
        ("RECOVERY WINDOW OF 7 DAYS", .recoveryWindow(7, .days)),
        ("recovery window of 1 day", .recoveryWindow(1, .days)),
        ("RECOVERY WINDOW OF 2 WEEK", .recoveryWindow(2, .weeks)),
        ("Recovery Window Of 3 months", .recoveryWindow(3, .months)),
    ])
    func parsesBarmanSpellings(text: String, expected: RetentionPolicy) throws {
        #expect(try RetentionPolicy(parsing: text) == expected)
    }

    @Test(arguments: [
        "", "REDUNDANCY", "REDUNDANCY -1", "REDUNDANCY two", "REDUNDANCY 2 3", "RECOVERY WINDOW 7 DAYS",
        "RECOVERY WINDOW OF 7 YEARS", "RECOVERY WINDOW OF DAYS", "RECOVERY WINDOW OF 7", "MAIN", "REDUNDANCY 1.5",
    ])
    func refusesAnythingElseAsInputError(text: String) {
        let error = #expect(throws: BackupError.self) { try RetentionPolicy(parsing: text) }
        #expect(error?.kind == .invalidInput)
    }

    @Test func describesItselfInBarmansWords() {
        #expect(RetentionPolicy.redundancy(3).description == "REDUNDANCY 3")
        #expect(RetentionPolicy.recoveryWindow(2, .weeks).description == "RECOVERY WINDOW OF 2 WEEKS")
    }

    // MARK: - Reports

    /// Four DONE backups, a FAILED one in between, ending 20, 10, 5 and 1 days ago.
    static func catalog(keep: [String: KeepTarget] = [:]) -> CatalogSnapshot {
        let backups = [
            CatalogFixture.info("20250101T000000", begin: "000000010000000000000002", end: "000000010000000000000002", endTime: .daysFromNow(-20)),
            CatalogFixture.info("20250102T000000", begin: "000000010000000000000004", end: "000000010000000000000004", endTime: .daysFromNow(-10)),
            CatalogFixture.info("20250103T000000", begin: nil, end: nil, endTime: nil, status: .failed),
            CatalogFixture.info("20250104T000000", begin: "000000010000000000000006", end: "000000010000000000000006", endTime: .daysFromNow(-5)),
            CatalogFixture.info("20250105T000000", begin: "000000010000000000000008", end: "000000010000000000000008", endTime: .daysFromNow(-1)),
        ]
        return CatalogSnapshot(backups: backups, keepTargets: keep)
    }

    @Test func redundancyKeepsTheNewestDoneBackups() {
        let report = RetentionPolicy.redundancy(2).report(Self.catalog(), minimumRedundancy: 0, now: .now())
        #expect(report == [
            "20250105T000000": .valid, "20250104T000000": .valid, "20250103T000000": RetentionStatus.none,
            "20250102T000000": .obsolete, "20250101T000000": .obsolete,
        ])
    }

    @Test func minimumRedundancyRaisesRedundancy() {
        let obsolete = RetentionPolicy.redundancy(1).obsoleteBackups(Self.catalog(), minimumRedundancy: 3, now: .now())
        #expect(obsolete == ["20250101T000000"])
    }

    @Test func keptBackupsAreNeverObsoleteAndStillCount() {
        let catalog = Self.catalog(keep: ["20250101T000000": .standalone, "20250104T000000": .full])
        let report = RetentionPolicy.redundancy(2).report(catalog, minimumRedundancy: 0, now: .now())
        #expect(report["20250105T000000"] == .valid)
        #expect(report["20250104T000000"] == .keepFull)
        #expect(report["20250102T000000"] == .obsolete)
        #expect(report["20250101T000000"] == .keepStandalone)
        #expect(RetentionPolicy.redundancy(0).obsoleteBackups(catalog, minimumRedundancy: 0, now: .now())
            == ["20250102T000000", "20250105T000000"])
    }

    @Test func recoveryWindowKeepsTheBackupThatStartsTheWindow() {
        // Window of 7 days: the backup 10 days old is the newest before the window, so it stays.
        let report = RetentionPolicy.recoveryWindow(7, .days).report(Self.catalog(), minimumRedundancy: 0, now: .now())
        #expect(report == [
            "20250105T000000": .valid, "20250104T000000": .valid, "20250103T000000": RetentionStatus.none,
            "20250102T000000": .valid, "20250101T000000": .obsolete,
        ])
        #expect(RetentionPolicy.recoveryWindow(3, .days).obsoleteBackups(Self.catalog(), minimumRedundancy: 0, now: .now())
            == ["20250101T000000", "20250102T000000"])
    }

    @Test func recoveryWindowUnitsAreDaysWeeksAndThirtyOneDayMonths() {
        let now = Timestamp.now()
        // 1 week: 10-day-old backup starts the window; the 20-day one goes.
        #expect(RetentionPolicy.recoveryWindow(1, .weeks).obsoleteBackups(Self.catalog(), minimumRedundancy: 0, now: now)
            == ["20250101T000000"])
        // 1 month (31 days) reaches past every backup: nothing is obsolete.
        #expect(RetentionPolicy.recoveryWindow(1, .months).obsoleteBackups(Self.catalog(), minimumRedundancy: 0, now: now)
            .isEmpty)
        // Seen from 22 days later, the window starts 9 days ago: the 10-day-old backup starts it.
        #expect(RetentionPolicy.recoveryWindow(1, .months)
            .obsoleteBackups(Self.catalog(), minimumRedundancy: 0, now: now.adding(seconds: 22 * 86_400))
            == ["20250101T000000"])
    }

    @Test func recoveryWindowRespectsMinimumRedundancyAndKeeps() {
        // 2-day window: only the newest is inside; the 5-day one starts the window.
        let plain = RetentionPolicy.recoveryWindow(2, .days).report(Self.catalog(), minimumRedundancy: 3, now: .now())
        #expect(plain["20250102T000000"] == .potentiallyObsolete)
        #expect(plain["20250101T000000"] == .obsolete)
        let kept = RetentionPolicy.recoveryWindow(2, .days)
            .report(Self.catalog(keep: ["20250101T000000": .full]), minimumRedundancy: 0, now: .now())
        #expect(kept["20250102T000000"] == .obsolete)
        #expect(kept["20250101T000000"] == .keepFull)
    }

    @Test func nothingIsObsoleteInAnEmptyCatalog() {
        #expect(RetentionPolicy.redundancy(0).obsoleteBackups(CatalogSnapshot(backups: []), minimumRedundancy: 0, now: .now())
            .isEmpty)
    }
}
