/// Reads a file as a sequence of chunks for uploads, checking it is still the size it was.
///
/// `@unchecked Sendable`: a reader is consumed by one stream, whose `next()` calls are serial.
public final class FileChunks: @unchecked Sendable {
    public static let chunkSize = 1 << 20
    private let handle: FileHandle
    private let path: String
    private var remaining: Int

    public init(path: String, expectedSize: Int) throws {
        do {
            handle = try FileHandle.openForReading(path)
        } catch let error as SystemError {
            throw StorageError(.failed, "\(path): \(error.reason)")
        }
        self.path = path
        remaining = expectedSize
    }

    /// The next chunk, nil at the end; a file that grew or shrank is an error, not a short body.
    public func next() throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: Swift.min(Self.chunkSize, Swift.max(remaining, 1)))
        let count: Int
        do {
            count = try buffer.withUnsafeMutableBytes { try handle.readFully(into: $0) }
        } catch let error as SystemError {
            throw StorageError(.failed, "\(path): \(error.reason)")
        }
        if remaining == 0 {
            guard count == 0 else { throw StorageError(.failed, "\(path) grew while being uploaded") }
            try? handle.close()
            return nil
        }
        guard count == buffer.count else { throw StorageError(.failed, "\(path) shrank while being uploaded") }
        remaining -= count
        return buffer
    }

    /// The whole file, for backends that need the body in memory.
    public static func readAll(_ path: String, expectedSize: Int) throws -> [UInt8] {
        let reader = try FileChunks(path: path, expectedSize: expectedSize)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(expectedSize)
        while let chunk = try reader.next() { bytes += chunk }
        return bytes
    }

    /// The file as an async stream of chunks.
    public static func stream(_ path: String, expectedSize: Int) -> AsyncThrowingStream<[UInt8], any Error> {
        do {
            let reader = try FileChunks(path: path, expectedSize: expectedSize)
            return AsyncThrowingStream { try reader.next() }
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
    }
}
