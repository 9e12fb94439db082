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
        Self.resolve(entry.userName, recorded: uid_t(entry.uid), cache: &users) { getpwnam($0)?.pointee.pw_uid }
    }

    private func groupID(_ entry: TarMember) -> gid_t {
        Self.resolve(entry.groupName, recorded: gid_t(entry.gid), cache: &groups) { getgrnam($0)?.pointee.gr_gid }
    }

    /// The local id of a user or group name, looked up once per name; the archive's numeric id
    /// when the name is empty or unknown here.
    private static func resolve<ID>(
        _ name: String, recorded: ID, cache: inout [String: ID], lookup: (String) -> ID?
    ) -> ID {
        guard !name.isEmpty else { return recorded }
        if let cached = cache[name] { return cached }
        let id = lookup(name) ?? recorded
        cache[name] = id
        return id
    }
}
