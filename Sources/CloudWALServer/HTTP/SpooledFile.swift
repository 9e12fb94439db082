import CloudWAL
import Hummingbird

/// A restored segment in the private spool, sent as a response body and then deleted.
///
/// The file is unlinked as soon as it is open, so it cannot outlive the response even when the
/// client goes away mid-transfer; memory stays at one chunk whatever the segment size.
enum SpooledFile {
    static let chunkSize = 1 << 20

    static func responseBody(path: String, size: Int) -> ResponseBody {
        ResponseBody(contentLength: size) { writer in
            let handle = try FileHandle.openForReading(path)
            try? FileSystemOps.remove(path)
            defer { try? handle.close() }
            var sent = 0
            while sent < size {
                var buffer = ByteBuffer()
                buffer.reserveCapacity(min(chunkSize, size - sent))
                let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: min(chunkSize, size - sent)) {
                    try handle.read(into: UnsafeMutableRawBufferPointer(rebasing: $0.prefix(min(chunkSize, size - sent))))
                }
                guard count > 0 else { throw WALError(.destinationFailed, "\(path) ended after \(sent) of \(size) bytes") }
                sent += count
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
    }
}
