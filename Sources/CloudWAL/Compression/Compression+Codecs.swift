extension Compression {
    /// The native level barman-cloud would pass to the library for `level`, or nil for codecs
    /// without levels (snappy). Numbers are clamped to the library's range rather than rejected,
    /// as barman-cloud does, so a configuration valid for one codec never fails for another.
    public func levelValue(_ level: CompressionLevel) -> Int? {
        let range: ClosedRange<Int>
        let named: (low: Int, medium: Int, high: Int)
        switch self {
        case .gzip: (range, named) = (1...9, (1, 6, 9))
        case .bzip2: (range, named) = (1...9, (1, 5, 9))
        case .xz: (range, named) = (1...9, (1, 3, 5))
        case .zstd: (range, named) = (-22...22, (1, 4, 9))
        // lz4 6 is the first HC level: barman-cloud's "medium" trades speed for ratio.
        case .lz4: (range, named) = (0...16, (0, 6, 10))
        case .snappy: return nil
        }
        switch level {
        case .low: return named.low
        case .medium: return named.medium
        case .high: return named.high
        case .numeric(let value): return Swift.min(Swift.max(value, range.lowerBound), range.upperBound)
        }
    }

    /// A fresh compressor for one stream of this format.
    public func makeCompressor(level: CompressionLevel = .medium) throws -> any StreamingCompressor {
        let value = levelValue(level) ?? 0
        switch self {
        case .gzip: return try GzipCompressor(level: value)
        case .bzip2: return try Bzip2Compressor(level: value)
        case .xz: return try XZCompressor(level: value)
        case .zstd: return try ZstdCompressor(level: value)
        case .lz4: return try LZ4Compressor(level: value)
        case .snappy: return SnappyCompressor()
        }
    }

    /// A fresh decompressor for one stream of this format.
    public func makeDecompressor() throws -> any StreamingDecompressor {
        switch self {
        case .gzip: return try GzipDecompressor()
        case .bzip2: return try Bzip2Decompressor()
        case .xz: return try XZDecompressor()
        case .zstd: return try ZstdDecompressor()
        case .lz4: return try LZ4Decompressor()
        case .snappy: return SnappyDecompressor()
        }
    }

    /// Compresses a whole buffer in one go; meant for small objects and tests.
    public static func compress(
        _ bytes: [UInt8], with compression: Compression, level: CompressionLevel = .medium
    ) throws -> [UInt8] {
        let compressor = try compression.makeCompressor(level: level)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count / 2 + 64)
        try bytes.withUnsafeBytes { try compressor.compress($0, into: &output) }
        try compressor.finish(into: &output)
        return output
    }

    /// Decompresses a whole buffer in one go, failing on truncated or corrupt input.
    public static func decompress(_ bytes: [UInt8], with compression: Compression) throws -> [UInt8] {
        let decompressor = try compression.makeDecompressor()
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3)
        try bytes.withUnsafeBytes { try decompressor.decompress($0, into: &output) }
        try decompressor.finish()
        return output
    }
}
