import CSnappy

/// Snappy framing format (google/snappy framing_format.txt), which python-snappy's
/// `stream_compress` and cramjam's `snappy.compress` write and barman-cloud stores.
enum SnappyFrame {
    static let streamIdentifier: [UInt8] = [0xFF, 0x06, 0x00, 0x00, 0x73, 0x4E, 0x61, 0x50, 0x70, 0x59]
    /// The format caps a chunk's uncompressed payload at 64 KiB so decoders can bound memory.
    static let maxBlock = 65536
    static let compressedChunk: UInt8 = 0x00
    static let uncompressedChunk: UInt8 = 0x01
    static let identifierChunk: UInt8 = 0xFF
    /// 4-byte type+length header plus 4-byte masked CRC.
    static let headerSize = 4
    static let checksumSize = 4
}

/// Cuts the input into 64 KiB blocks, each stored compressed, or raw when snappy saves too little.
final class SnappyCompressor: StreamingCompressor {
    /// Holds the tail of the input that does not yet fill a block; blocks that arrive whole are
    /// compressed straight from the caller's buffer.
    private let pending = UnsafeMutablePointer<UInt8>.allocate(capacity: SnappyFrame.maxBlock)
    private var pendingCount = 0
    private let window: OutputWindow
    private var started = false
    private var finished = false

    init() {
        window = OutputWindow(
            capacity: SnappyFrame.headerSize + SnappyFrame.checksumSize
                + snappy_max_compressed_length(SnappyFrame.maxBlock))
    }

    deinit { pending.deallocate() }

    func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("snappy: compress called after finish") }
        startIfNeeded(into: &output)
        guard let base = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var offset = 0
        if pendingCount > 0 {
            let n = min(SnappyFrame.maxBlock - pendingCount, input.count)
            (pending + pendingCount).update(from: base, count: n)
            pendingCount += n
            offset = n
            guard pendingCount == SnappyFrame.maxBlock else { return }
            try emit(pending, pendingCount, into: &output)
            pendingCount = 0
        }
        while input.count - offset >= SnappyFrame.maxBlock {
            try emit(base + offset, SnappyFrame.maxBlock, into: &output)
            offset += SnappyFrame.maxBlock
        }
        let rest = input.count - offset
        if rest > 0 {
            pending.update(from: base + offset, count: rest)
            pendingCount = rest
        }
    }

    func finish(into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("snappy: finish called twice") }
        startIfNeeded(into: &output)
        if pendingCount > 0 { try emit(pending, pendingCount, into: &output) }
        pendingCount = 0
        finished = true
    }

    private func startIfNeeded(into output: inout [UInt8]) {
        guard !started else { return }
        output.append(contentsOf: SnappyFrame.streamIdentifier)
        started = true
    }

    private func emit(_ block: UnsafePointer<UInt8>, _ count: Int, into output: inout [UInt8]) throws {
        let crc = CRC32C.mask(CRC32C.checksum(UnsafeRawBufferPointer(start: block, count: count)))
        let payload = window.base + SnappyFrame.headerSize + SnappyFrame.checksumSize
        var compressedLength = window.capacity - SnappyFrame.headerSize - SnappyFrame.checksumSize
        let status = block.withMemoryRebound(to: CChar.self, capacity: count) { source in
            payload.withMemoryRebound(to: CChar.self, capacity: compressedLength) {
                snappy_compress(source, count, $0, &compressedLength)
            }
        }
        guard status == SNAPPY_OK else { throw CompressionError("snappy: compression failed (\(status.rawValue))") }
        // Same threshold as the reference encoders: storing raw wins unless snappy saves 1/8.
        let type: UInt8
        let dataLength: Int
        if compressedLength < count - count / 8 {
            type = SnappyFrame.compressedChunk
            dataLength = compressedLength
        } else {
            type = SnappyFrame.uncompressedChunk
            dataLength = count
            payload.update(from: block, count: count)
        }
        let chunkLength = dataLength + SnappyFrame.checksumSize
        window.base[0] = type
        window.base[1] = UInt8(truncatingIfNeeded: chunkLength)
        window.base[2] = UInt8(truncatingIfNeeded: chunkLength >> 8)
        window.base[3] = UInt8(truncatingIfNeeded: chunkLength >> 16)
        UnsafeMutableRawPointer(window.base + SnappyFrame.headerSize).storeBytes(
            of: crc.littleEndian, as: UInt32.self)
        window.flush(SnappyFrame.headerSize + chunkLength, into: &output)
    }
}

/// Parses framed snappy from arbitrarily sliced input, verifying every chunk's CRC-32C.
final class SnappyDecompressor: StreamingDecompressor {
    /// Largest chunk body we ever buffer: a compressed 64 KiB block plus its CRC.
    private let maxChunk = snappy_max_compressed_length(SnappyFrame.maxBlock) + SnappyFrame.checksumSize
    /// A chunk (header included) split across calls accumulates here until it is complete.
    private var partial: [UInt8] = []
    /// Bytes of a skippable chunk still to drop; skipped data is streamed past, never buffered.
    private var skipRemaining = 0
    private var sawIdentifier = false
    private let block = UnsafeMutablePointer<UInt8>.allocate(capacity: SnappyFrame.maxBlock)

    init() {}

    deinit { block.deallocate() }

    func decompress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard let start = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var p = start
        var left = input.count

        if skipRemaining > 0 {
            let n = min(skipRemaining, left)
            skipRemaining -= n
            p += n
            left -= n
        }
        if !partial.isEmpty {
            // Complete the header first, then the body it announces.
            if partial.count < SnappyFrame.headerSize {
                let n = min(SnappyFrame.headerSize - partial.count, left)
                partial.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
                p += n
                left -= n
                guard partial.count == SnappyFrame.headerSize else { return }
            }
            let length = Int(partial[1]) | Int(partial[2]) << 8 | Int(partial[3]) << 16
            if try isSkippable(type: partial[0], length: length) {
                partial.removeAll(keepingCapacity: true)
                let n = min(length, left)
                skipRemaining = length - n
                p += n
                left -= n
            } else {
                let n = min(SnappyFrame.headerSize + length - partial.count, left)
                partial.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
                p += n
                left -= n
                guard partial.count == SnappyFrame.headerSize + length else { return }
                try partial.withUnsafeBufferPointer { chunk in
                    guard let base = chunk.baseAddress else { return }
                    try process(type: base[0], body: base + SnappyFrame.headerSize, length: length, into: &output)
                }
                partial.removeAll(keepingCapacity: true)
            }
        }
        // Whole chunks are decoded in place from the caller's buffer.
        while left >= SnappyFrame.headerSize {
            let length = Int(p[1]) | Int(p[2]) << 8 | Int(p[3]) << 16
            let type = p[0]
            if try isSkippable(type: type, length: length) {
                let n = min(length, left - SnappyFrame.headerSize)
                skipRemaining = length - n
                p += SnappyFrame.headerSize + n
                left -= SnappyFrame.headerSize + n
                continue
            }
            guard left >= SnappyFrame.headerSize + length else { break }
            try process(type: type, body: p + SnappyFrame.headerSize, length: length, into: &output)
            p += SnappyFrame.headerSize + length
            left -= SnappyFrame.headerSize + length
        }
        if left > 0 {
            partial.append(contentsOf: UnsafeBufferPointer(start: p, count: left))
        }
    }

    /// Validates a chunk header; true for padding and reserved-skippable chunks.
    private func isSkippable(type: UInt8, length: Int) throws -> Bool {
        switch type {
        case 0x80...0xFE:
            guard sawIdentifier else { throw CompressionError("snappy: stream does not start with identifier") }
            return true
        case 0x02...0x7F:
            throw CompressionError("snappy: reserved unskippable chunk type 0x\(String(type, radix: 16))")
        case SnappyFrame.identifierChunk:
            guard length == SnappyFrame.streamIdentifier.count - SnappyFrame.headerSize else {
                throw CompressionError("snappy: bad stream identifier")
            }
            return false
        default:
            guard sawIdentifier else { throw CompressionError("snappy: stream does not start with identifier") }
            guard length >= SnappyFrame.checksumSize, length <= maxChunk else {
                throw CompressionError("snappy: bad chunk length \(length)")
            }
            return false
        }
    }

    private func process(
        type: UInt8, body: UnsafePointer<UInt8>, length: Int, into output: inout [UInt8]
    ) throws {
        if type == SnappyFrame.identifierChunk {
            // Concatenated streams repeat the identifier, so it may appear anywhere.
            guard UnsafeBufferPointer(start: body, count: length)
                .elementsEqual(SnappyFrame.streamIdentifier[SnappyFrame.headerSize...])
            else { throw CompressionError("snappy: bad stream identifier") }
            sawIdentifier = true
            return
        }
        let expected = UInt32(littleEndian: UnsafeRawPointer(body).loadUnaligned(as: UInt32.self))
        let data = body + SnappyFrame.checksumSize
        let dataLength = length - SnappyFrame.checksumSize
        let plain: UnsafeRawBufferPointer
        if type == SnappyFrame.compressedChunk {
            var size = 0
            let sizeStatus = data.withMemoryRebound(to: CChar.self, capacity: dataLength) {
                snappy_uncompressed_length($0, dataLength, &size)
            }
            guard sizeStatus == SNAPPY_OK, size <= SnappyFrame.maxBlock else {
                throw CompressionError("snappy: corrupt compressed chunk")
            }
            let status = data.withMemoryRebound(to: CChar.self, capacity: dataLength) { source in
                block.withMemoryRebound(to: CChar.self, capacity: SnappyFrame.maxBlock) {
                    snappy_uncompress(source, dataLength, $0, &size)
                }
            }
            guard status == SNAPPY_OK else { throw CompressionError("snappy: corrupt compressed chunk") }
            plain = UnsafeRawBufferPointer(start: block, count: size)
        } else {
            guard dataLength <= SnappyFrame.maxBlock else {
                throw CompressionError("snappy: uncompressed chunk larger than 64 KiB")
            }
            plain = UnsafeRawBufferPointer(start: data, count: dataLength)
        }
        guard CRC32C.maskedChecksum(plain) == expected else {
            throw CompressionError("snappy: checksum mismatch")
        }
        output.append(contentsOf: plain)
    }

    func finish() throws {
        guard partial.isEmpty, skipRemaining == 0 else { throw CompressionError("snappy: truncated stream") }
        guard sawIdentifier else { throw CompressionError("snappy: empty input") }
    }
}
