import Glibc

/// Reads the small local files credentials come from (shared config files, token files).
enum AWSLocalFile {
    /// Config and token files are a few kilobytes; anything larger is not one of them.
    static let maxBytes = 1 << 20

    /// The file's text, or nil when it does not exist; other failures throw `.failed`.
    static func read(_ path: String) throws -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw StorageError(.failed, "Cannot read \(path): \(String(cString: strerror(code)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw StorageError(.failed, "Cannot read \(path): \(String(cString: strerror(code)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
            guard bytes.count <= maxBytes else {
                throw StorageError(.failed, "Cannot read \(path): larger than \(maxBytes) bytes")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `~` or `~/...` expanded with HOME (the AWS CLI does the same for its file variables).
    static func expandingHome(_ path: String, environment: Environment) -> String? {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        guard let home = environment["HOME"] else { return nil }
        return home + path.dropFirst()
    }
}
