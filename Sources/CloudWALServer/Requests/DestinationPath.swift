#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `?dest=` may write: a path relative to PGDATA that stays inside it.
///
/// `restore_command` hands over `%p`, e.g. `pg_wal/RECOVERYXLOG`. Anyone who can reach the
/// service could otherwise make it write anywhere its user may, so the rules are strict:
/// no absolute path, no `..` or `.` component, no empty component, and the directory that will
/// receive the file, resolved with `realpath` (following every symlink), must be PGDATA or below
/// it, or the WAL directory or below it (pg_wal is often a symlink to another volume, made by
/// `initdb --waldir`, and `%p` is `pg_wal/RECOVERYXLOG`). The file itself is written to `<resolved directory>/<name>`, so a symlink swapped into an
/// already checked component cannot redirect the write; a symlink at the final name is replaced
/// by `rename`, never followed.
public enum DestinationPath {
    public struct Rejected: Error, CustomStringConvertible, Sendable, Equatable {
        public let reason: String
        public var description: String { reason }
    }

    /// The absolute path to write, or `Rejected` with a one-line reason.
    public static func resolve(_ relative: String, inside dataDirectory: String, walDirectory: String? = nil) throws
        -> String
    {
        guard !relative.isEmpty else { throw Rejected(reason: "dest is empty") }
        guard !relative.hasPrefix("/") else { throw Rejected(reason: "dest must be relative to PGDATA") }
        guard !relative.utf8.contains(0) else { throw Rejected(reason: "dest contains a NUL byte") }
        let components = relative.split(separator: "/", omittingEmptySubsequences: false)
        for component in components {
            guard !component.isEmpty, component != ".", component != ".." else {
                throw Rejected(reason: "dest may not contain empty, '.' or '..' components")
            }
        }
        guard let root = realPath(dataDirectory) else {
            throw Rejected(reason: "PGDATA \(dataDirectory) does not exist")
        }
        let name = String(components[components.count - 1])
        let parentRelative = components.dropLast().joined(separator: "/")
        let parent = parentRelative.isEmpty ? root : root + "/" + parentRelative
        guard let resolvedParent = realPath(parent) else {
            throw Rejected(reason: "the directory of dest does not exist")
        }
        let roots = [root] + (walDirectory.flatMap(realPath).map { [$0] } ?? [])
        guard roots.contains(where: { resolvedParent == $0 || resolvedParent.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else {
            throw Rejected(reason: "dest resolves outside PGDATA")
        }
        return resolvedParent + "/" + name
    }

    /// `realpath(3)`: absolute, with every symlink, `.` and `..` resolved; nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
