import Glibc

/// Reads a piece of a file by offset: resumable chunks may be re-sent from any committed offset.
enum GCSFileRange {
    static func read(_ path: String, offset: Int, length: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StorageError(.failed, "\(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress.map { $0 + done }, length - done, off_t(offset + done))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw StorageError(.failed, "\(path): \(String(cString: strerror(errno)))")
            }
            // A shorter file than announced must fail the upload, not end it early.
            guard count > 0 else { throw StorageError(.failed, "\(path) shrank while being uploaded") }
            done += count
        }
        return bytes
    }
}
