#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Who restored files belong to. As root, a restore gives files the owner the archive names (by
/// user name first, then the numeric id, as Python's tarfile does), so a backup restored by root
/// is owned by `postgres` and the server can start on it. Once the archive's top directory (`./`,
/// PGDATA or the tablespace itself) has named its owner, every later member gets that owner:
/// PostgreSQL needs one owner throughout, and barman-cloud writes `backup_label` as uid 0 (it
/// sets the gid twice), which would leave a file the server cannot open for fsync.
/// As anyone else, files belong to the restoring user and the archive's owners are ignored.
final class TarOwnership {
    private let enabled: Bool
    private var users: [String: uid_t] = [:]
    private var groups: [String: gid_t] = [:]
    private var rootOwner: (uid: uid_t, gid: gid_t)?

    init(applyArchiveOwners: Bool = geteuid() == 0) {
        enabled = applyArchiveOwners
    }

    func owner(for entry: TarMember) -> (uid: uid_t, gid: gid_t)? {
        guard enabled else { return nil }
        return rootOwner ?? (userID(entry), groupID(entry))
    }

    /// The archive's top directory: its owner becomes everyone's.
    func adoptRootOwner(_ entry: TarMember) {
        guard enabled else { return }
        rootOwner = (userID(entry), groupID(entry))
    }

    /// For archives without a top-directory member (barman-cloud's tablespace tars): the first
    /// member owned by someone other than root stands in for it.
    func considerImplicitRoot(_ entry: TarMember) {
        guard enabled, rootOwner == nil else { return }
        let candidate = (uid: userID(entry), gid: groupID(entry))
        if candidate.uid != 0 { rootOwner = candidate }
    }

    /// The owner the destination directory itself should have, once known.
    var destinationOwner: (uid: uid_t, gid: gid_t)? { enabled ? rootOwner : nil }

    private func userID(_ entry: TarMember) -> uid_t {
        guard !entry.userName.isEmpty else { return uid_t(entry.uid) }
        if let cached = users[entry.userName] { return cached }
        var id = uid_t(entry.uid)
        if let record = getpwnam(entry.userName) { id = record.pointee.pw_uid }
        users[entry.userName] = id
        return id
    }

    private func groupID(_ entry: TarMember) -> gid_t {
        guard !entry.groupName.isEmpty else { return gid_t(entry.gid) }
        if let cached = groups[entry.groupName] { return cached }
        var id = gid_t(entry.gid)
        if let record = getgrnam(entry.groupName) { id = record.pointee.gr_gid }
        groups[entry.groupName] = id
        return id
    }
}
