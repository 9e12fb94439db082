import CloudWAL
import Testing

/// Deterministic inputs so failures reproduce; SplitMix64 is enough for test data.
struct CodecTestData {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Word soup with a small vocabulary: compresses like logs or configuration text.
    static func text(count: Int, seed: UInt64 = 1) -> [UInt8] {
        let words = ["wal", "segment", "checkpoint", "archive", "barman", "cloud", "restore", "lsn",
                     "timeline", "0000000100000000000000A1", "postgres", "backup", "\n", ", "]
            .map { Array($0.utf8) }
        var rng = CodecTestData(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(count + 32)
        while out.count < count {
            out += words[Int(rng.next() % UInt64(words.count))]
            out.append(0x20)
        }
        return Array(out.prefix(count))
    }

    /// WAL-like: 8 KiB pages, each a page header, then random record bytes, then zero fill.
    static func wal(count: Int, seed: UInt64 = 2) -> [UInt8] {
        var rng = CodecTestData(seed: seed)
        var out = [UInt8](repeating: 0, count: count)
        var page = 0
        while page < count {
            let header: [UInt8] = [0x13, 0xD1, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00]
            for (i, b) in header.enumerated() where page + i < count { out[page + i] = b }
            // About a quarter of a real segment is record data; the rest of each page is zeros.
            let used = Int(rng.next() % 4096)
            var i = page + header.count
            while i < min(page + used, count) {
                var word = rng.next()
                for _ in 0..<8 where i < min(page + used, count) {
                    out[i] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    i += 1
                }
            }
            page += 8192
        }
        return out
    }

    static let small = text(count: 100 * 1024)
    static let large = wal(count: 3 * 1024 * 1024)
}

/// Compresses `input` feeding `slice` bytes per call, then decompresses feeding `slice` bytes per call.
func streamRoundTrip(
    _ input: [UInt8], _ codec: Compression, level: CompressionLevel = .medium, slice: Int
) throws -> (compressed: [UInt8], plain: [UInt8]) {
    let compressor = try codec.makeCompressor(level: level)
    var compressed: [UInt8] = []
    try feedSlices(input, slice: slice) { try compressor.compress($0, into: &compressed) }
    try compressor.finish(into: &compressed)
    let plain = try streamDecompress(compressed, codec, slice: slice)
    return (compressed, plain)
}

func streamDecompress(_ compressed: [UInt8], _ codec: Compression, slice: Int) throws -> [UInt8] {
    let decompressor = try codec.makeDecompressor()
    var plain: [UInt8] = []
    try feedSlices(compressed, slice: slice) { try decompressor.decompress($0, into: &plain) }
    try decompressor.finish()
    return plain
}

func feedSlices(_ bytes: [UInt8], slice: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    try bytes.withUnsafeBytes { all in
        var offset = 0
        while offset < all.count {
            let n = min(slice, all.count - offset)
            try body(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n]))
            offset += n
        }
    }
}

@Suite("Compression round trips")
struct CompressionRoundTripTests {
    static let slices = [1, 7, 4096, 65537, Int.max]

    @Test("Named levels round-trip every input", arguments: Compression.allCases)
    func namedLevels(codec: Compression) throws {
        for level in [CompressionLevel.low, .medium, .high] {
            // The 3 MiB input runs once per codec: bzip2 and xz need ~0.3 s for it at higher levels.
            let inputs: [[UInt8]] = level == .low ? [[], [0x42], CodecTestData.small, CodecTestData.large] : [[], [0x42], CodecTestData.small]
            for input in inputs {
                let compressed = try Compression.compress(input, with: codec, level: level)
                #expect(try Compression.decompress(compressed, with: codec) == input, "\(codec) \(level)")
            }
        }
    }

    @Test("Sliced input on both sides", arguments: Compression.allCases, slices)
    func sliced(codec: Compression, slice: Int) throws {
        // Feeding 3 MiB a byte at a time would dominate the suite's runtime without covering more
        // code; the large input still goes through small (7) and block-straddling (65537) slices.
        let inputs: [[UInt8]] = [7, 65537].contains(slice)
            ? [[], [0x00], CodecTestData.small, CodecTestData.large] : [[], [0x00], CodecTestData.small]
        for input in inputs {
            let (compressed, plain) = try streamRoundTrip(input, codec, level: .low, slice: slice)
            #expect(plain == input, "\(codec) slice \(slice) input \(input.count)")
            // Sliced compression must decode the same as whole-buffer decoding.
            #expect(try Compression.decompress(compressed, with: codec) == input)
        }
    }

    @Test("Numeric levels at and beyond the range", arguments: Compression.allCases)
    func numericLevels(codec: Compression) throws {
        let input = Array(CodecTestData.small.prefix(20000))
        for value in [-100, -5, 0, 1, 3, 12, 100] {
            let compressed = try Compression.compress(input, with: codec, level: .numeric(value))
            #expect(try Compression.decompress(compressed, with: codec) == input, "\(codec) level \(value)")
        }
    }

    @Test("Compression actually compresses", arguments: Compression.allCases)
    func ratio(codec: Compression) throws {
        let compressed = try Compression.compress(CodecTestData.small, with: codec)
        #expect(compressed.count < CodecTestData.small.count / 2)
    }

    @Test("Concatenated streams decode as one", arguments: Compression.allCases)
    func concatenated(codec: Compression) throws {
        let a = Array(CodecTestData.small.prefix(70000)), b = Array(CodecTestData.large.prefix(90000))
        let joined = try Compression.compress(a, with: codec) + Compression.compress([], with: codec)
            + Compression.compress(b, with: codec)
        #expect(try Compression.decompress(joined, with: codec) == a + b)
        #expect(try streamDecompress(joined, codec, slice: 7) == a + b)
    }

    @Test("Streaming output is incremental", arguments: Compression.allCases)
    func incremental(codec: Compression) throws {
        // Bounded memory means output must appear before finish() for a multi-megabyte input.
        let compressor = try codec.makeCompressor(level: .low)
        var out: [UInt8] = []
        try CodecTestData.large.prefix(1 << 20).withUnsafeBytes { try compressor.compress($0, into: &out) }
        #expect(!out.isEmpty)
        try compressor.finish(into: &out)
    }
}

@Suite("Compression failures")
struct CompressionFailureTests {
    @Test("Truncated input throws", arguments: Compression.allCases)
    func truncated(codec: Compression) throws {
        let compressed = try Compression.compress(CodecTestData.small, with: codec)
        for cut in [1, compressed.count / 2 + 3, compressed.count - 1] {
            let prefix = Array(compressed.prefix(cut))
            #expect(throws: CompressionError.self, "\(codec) cut at \(cut)") {
                _ = try Compression.decompress(prefix, with: codec)
            }
            #expect(throws: CompressionError.self, "\(codec) sliced cut at \(cut)") {
                _ = try streamDecompress(prefix, codec, slice: 4096)
            }
        }
    }

    @Test("Corrupted input throws", arguments: Compression.allCases)
    func corrupted(codec: Compression) throws {
        let compressed = try Compression.compress(CodecTestData.small, with: codec)
        for position in [compressed.count / 3, compressed.count / 2, compressed.count - 2] {
            var bad = compressed
            bad[position] ^= 0x55
            #expect(throws: CompressionError.self, "\(codec) flipped byte \(position)") {
                _ = try Compression.decompress(bad, with: codec)
            }
        }
    }

    @Test("Empty and foreign input throw", arguments: Compression.allCases)
    func emptyOrForeign(codec: Compression) throws {
        #expect(throws: CompressionError.self) { _ = try Compression.decompress([], with: codec) }
        #expect(throws: CompressionError.self) {
            _ = try Compression.decompress(Array("not compressed at all".utf8), with: codec)
        }
        // A valid stream of another format must not be accepted either.
        let other: Compression = codec == .gzip ? .zstd : .gzip
        let foreign = try Compression.compress(CodecTestData.small, with: other)
        #expect(throws: CompressionError.self) { _ = try Compression.decompress(foreign, with: codec) }
    }

    @Test("Trailing garbage after a complete stream throws", arguments: Compression.allCases)
    func trailingGarbage(codec: Compression) throws {
        let compressed = try Compression.compress(CodecTestData.small, with: codec) + [0x01, 0x02, 0x03, 0x04, 0x05]
        #expect(throws: CompressionError.self) { _ = try Compression.decompress(compressed, with: codec) }
    }

    @Test("Compressor refuses use after finish", arguments: Compression.allCases)
    func useAfterFinish(codec: Compression) throws {
        let compressor = try codec.makeCompressor()
        var out: [UInt8] = []
        try compressor.finish(into: &out)
        #expect(throws: CompressionError.self) {
            try [UInt8(1)].withUnsafeBytes { try compressor.compress($0, into: &out) }
        }
        #expect(throws: CompressionError.self) { try compressor.finish(into: &out) }
    }

    @Test("Snappy framing rules")
    func snappyFraming() throws {
        let identifier: [UInt8] = [0xFF, 0x06, 0x00, 0x00, 0x73, 0x4E, 0x61, 0x50, 0x70, 0x59]
        // Identifier alone is a valid empty stream; padding and reserved-skippable chunks are ignored.
        #expect(try Compression.decompress(identifier, with: .snappy) == [])
        let padded = try identifier + [0xFE, 0x03, 0x00, 0x00, 0, 0, 0] + [0x80, 0x01, 0x00, 0x00, 9]
            + Compression.compress([1, 2, 3], with: .snappy)
        #expect(try Compression.decompress(padded, with: .snappy) == [1, 2, 3])
        #expect(try streamDecompress(padded, .snappy, slice: 1) == [1, 2, 3])
        // Reserved unskippable chunk types are errors.
        #expect(throws: CompressionError.self) {
            _ = try Compression.decompress(identifier + [0x02, 0x01, 0x00, 0x00, 0], with: .snappy)
        }
        // Data before the identifier is an error.
        #expect(throws: CompressionError.self) {
            _ = try Compression.decompress([0x01, 0x05, 0x00, 0x00, 0, 0, 0, 0, 0x41], with: .snappy)
        }
        // An uncompressed chunk with a wrong CRC is an error.
        #expect(throws: CompressionError.self) {
            _ = try Compression.decompress(identifier + [0x01, 0x05, 0x00, 0x00, 0, 0, 0, 0, 0x41], with: .snappy)
        }
        // A correct hand-built uncompressed chunk: masked CRC-32C of "a" is 0x28E46E78.
        let chunk: [UInt8] = [0x01, 0x05, 0x00, 0x00, 0x78, 0x6E, 0xE4, 0x28, 0x61]
        #expect(try Compression.decompress(identifier + chunk, with: .snappy) == [0x61])
    }

    @Test("Random data is stored, not expanded", arguments: [Compression.snappy, .lz4, .zstd])
    func incompressible(codec: Compression) throws {
        var rng = CodecTestData(seed: 9)
        let random = (0..<200_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let compressed = try Compression.compress(random, with: codec)
        #expect(compressed.count < random.count + random.count / 100 + 64)
        #expect(try Compression.decompress(compressed, with: codec) == random)
    }
}

@Suite("Compression levels")
struct CompressionLevelTests {
    @Test("Named levels follow barman-cloud's table")
    func named() {
        let expected: [Compression: (Int, Int, Int)] = [
            .gzip: (1, 6, 9), .bzip2: (1, 5, 9), .xz: (1, 3, 5), .zstd: (1, 4, 9), .lz4: (0, 6, 10),
        ]
        for (codec, (low, medium, high)) in expected {
            #expect(codec.levelValue(.low) == low, "\(codec)")
            #expect(codec.levelValue(.medium) == medium, "\(codec)")
            #expect(codec.levelValue(.high) == high, "\(codec)")
        }
    }

    @Test("Numeric levels clamp to the codec's range", arguments: [
        (Compression.gzip, -3, 1), (.gzip, 0, 1), (.gzip, 7, 7), (.gzip, 10, 9),
        (.bzip2, 0, 1), (.bzip2, 4, 4), (.bzip2, 99, 9),
        (.xz, -1, 1), (.xz, 9, 9), (.xz, 12, 9),
        (.zstd, -30, -22), (.zstd, -5, -5), (.zstd, 0, 0), (.zstd, 19, 19), (.zstd, 23, 22),
        (.lz4, -1, 0), (.lz4, 0, 0), (.lz4, 12, 12), (.lz4, 17, 16),
    ])
    func clamped(codec: Compression, value: Int, expected: Int) {
        #expect(codec.levelValue(.numeric(value)) == expected)
    }

    @Test("Snappy has no levels")
    func snappy() {
        for level in [CompressionLevel.low, .medium, .high, .numeric(5)] {
            #expect(Compression.snappy.levelValue(level) == nil)
        }
    }

    @Test("Level arguments parse")
    func parse() {
        #expect(CompressionLevel(argument: "HIGH") == .high)
        #expect(CompressionLevel(argument: "-7") == .numeric(-7))
        #expect(CompressionLevel(argument: "fast") == nil)
    }
}
