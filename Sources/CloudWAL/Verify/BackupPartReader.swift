/// Streams one stored part of a base backup back to its tar bytes, as the restore path's
/// extraction does (`RestoreExtraction.swift`): the codec named by the extension, fed through
/// `BoundedDecompression` so memory stays bounded whatever the expansion. This is the one place
/// verify turns stored bytes into plain bytes, where decryption goes when parts can be encrypted.
struct BackupPartReader: Sendable {
    let store: any ObjectStore

    /// Hands the part's plain bytes to `sink`; returns the stored bytes fetched. Codec and tar
    /// errors come back as `BackupError(.corrupt)` naming the part; storage errors as they are.
    func read(_ part: BackupTarFiles.Part, sink: (UnsafeRawBufferPointer) throws -> Void) async throws -> Int {
        let download = try await store.get(part.key)
        var decompression: BoundedDecompression?
        do {
            decompression = try part.compression.map { BoundedDecompression(try $0.makeDecompressor()) }
        } catch let error as CompressionError {
            throw BackupError(.localIO, "Cannot start decompressing \(part.key): \(error.message)")
        }
        var stored = 0
        do {
            for try await chunk in download.chunks {
                stored += chunk.count
                if decompression != nil {
                    try chunk.withUnsafeBytes { input in try decompression?.feed(input, sink) }
                } else {
                    try chunk.withUnsafeBytes(sink)
                }
            }
            try decompression?.decompressor.finish()
        } catch let error as CompressionError {
            throw BackupError(.corrupt, "\(part.key) is corrupt: \(error.message)")
        } catch let error as TarError {
            throw BackupError(.corrupt, "\(part.key) is not a valid tar: \(error.message)")
        }
        return stored
    }
}
