extension Compression {
    public func makeCompressor(level: CompressionLevel = .medium) throws -> any StreamingCompressor { throw CompressionError("stub") }
    public func makeDecompressor() throws -> any StreamingDecompressor { throw CompressionError("stub") }
}
