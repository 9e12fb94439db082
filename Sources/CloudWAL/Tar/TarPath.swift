/// Member names made safe to join under a destination directory.
///
/// A hostile or corrupt archive must not write outside the directory it is extracted into:
/// absolute names, `..` components and NUL bytes are refused here; writing *through* a symlink
/// is refused by the extractor, which checks every parent it did not create itself.
enum TarPath {
    /// The components of `name` below the destination: `./` prefixes, empty components and `.`
    /// dropped. An empty result names the destination itself (the `./` member barman writes).
    static func components(_ name: String) throws -> [String] {
        guard !name.hasPrefix("/") else {
            throw BackupError(.refused, "Refusing tar member with an absolute path: \(name)")
        }
        // A pax path may hold NUL; the system calls would stop there, so `..\0` would pass the
        // `..` check below and still name the parent directory.
        guard !name.utf8.contains(0) else {
            throw BackupError(.refused, "Refusing tar member with a NUL byte in its name: \(name.replacing("\0", with: "\\0"))")
        }
        var parts: [String] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            guard part != ".." else {
                throw BackupError(.refused, "Refusing tar member that leaves the destination through '..': \(name)")
            }
            parts.append(String(part))
        }
        return parts
    }
}
