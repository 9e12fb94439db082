/// Relays a download's chunks from the transport to the reader, turning a transport failure in
/// mid-body into a storage error ("unreachable": retry later), never a short object.
///
/// `@unchecked Sendable`: the stream's consumer calls `next()` serially, never concurrently.
final class DownloadRelay: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
    private let location: String

    init(source: AsyncThrowingStream<[UInt8], any Error>, location: String) {
        iterator = source.makeAsyncIterator()
        self.location = location
    }

    func next() async throws -> [UInt8]? {
        do {
            return try await iterator.next()
        } catch let error as HTTPTransportError {
            throw StorageError(.unreachable, "Download of \(location) failed: \(error.message)")
        }
    }

    /// The relayed chunks as a stream.
    static func stream(_ source: AsyncThrowingStream<[UInt8], any Error>, location: String)
        -> AsyncThrowingStream<[UInt8], any Error>
    {
        let relay = DownloadRelay(source: source, location: location)
        return AsyncThrowingStream { try await relay.next() }
    }
}
