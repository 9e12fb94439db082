/// Choosing the backups `verify` checks, and what the catalog says about the others.
extension Verifier {
    struct Selected {
        /// Backups to check, oldest first (a non-DONE one only when asked for by name).
        var infos: [BackupInfo] = []
        var findings: [VerifyFinding] = []
    }

    func select(_ selection: VerifyRequest.Selection) async throws -> Selected {
        var infos: [BackupInfo] = []
        var unreadable: [String: String] = [:]
        var withoutRecord: [String] = []
        for id in try await catalog.backupIDs() {
            do {
                if let info = try await catalog.info(id) { infos.append(info) } else { withoutRecord.append(id) }
            } catch {
                unreadable[id] = try ReadProblem.describe(error)
            }
        }
        var selected = Selected()
        switch selection {
        case .all:
            for id in withoutRecord {
                selected.findings.append(.warning(.backupRecord, .backup(id), "has no backup.info (an upload that never finished?): not checked"))
            }
            for id in unreadable.keys.sorted() {
                selected.findings.append(.failure(.backupRecord, .backup(id), "backup.info is unreadable: \(unreadable[id] ?? "")"))
            }
            for info in infos where info.status != .done {
                selected.findings.append(.warning(.backupRecord, .backup(info.backupID),
                    "status is \(info.status?.rawValue ?? "unknown"), not DONE: not restorable, not checked"))
            }
            selected.infos = infos.filter { $0.status == .done }
            if selected.infos.isEmpty {
                selected.findings.append(.failure(.backupRecord, .archive, "there is no DONE backup of server \(layout.serverName) to verify"))
            }
        case .backup(let requested):
            if let reason = unreadable[requested] {
                selected.findings.append(.failure(.backupRecord, .backup(requested), "backup.info is unreadable: \(reason)"))
                return selected
            }
            if withoutRecord.contains(requested) {
                selected.findings.append(.failure(.backupRecord, .backup(requested), "has no backup.info: it cannot be restored"))
                return selected
            }
            let shortcut = ["latest", "last", "oldest", "first"].contains(requested)
            if shortcut, !infos.contains(where: { $0.status == .done }) {
                selected.findings.append(.failure(.backupRecord, .archive, "there is no DONE backup of server \(layout.serverName) to verify"))
                return selected
            }
            do {
                selected.infos = [try catalog.resolve(requested, among: infos)]
            } catch let error as BackupError where error.kind == .notFound {
                // An id that names nothing is a typing mistake, not a damaged archive (exit 3).
                throw BackupError(.invalidInput, error.message)
            }
        }
        return selected
    }
}
