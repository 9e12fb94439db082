import CLZ4

private func lz4Reason(_ code: Int) -> String {
    String(cString: LZ4F_getErrorName(code))
}

/// Input fed to one LZ4F_compressUpdate call; the output window is sized from its bound.
private let lz4InputPiece = 256 * 1024

/// Writes one LZ4 frame with Python `lz4.frame`'s layout (64 KiB linked blocks) plus a content
/// checksum; levels of 3 and above select LZ4-HC inside liblz4.
final class LZ4Compressor: StreamingCompressor {
    private let context: OpaquePointer
    private var preferences = LZ4F_preferences_t()
    private let window: OutputWindow
    private var started = false
    private var finished = false

    init(level: Int) throws {
        var context: OpaquePointer?
        let rc = LZ4F_createCompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(rc) == 0, let context else {
            throw CompressionError("lz4: cannot initialise compressor: \(lz4Reason(rc))")
        }
        self.context = context
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockLinked
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.compressionLevel = Int32(level)
        // compressBound covers a full piece plus whatever earlier calls left buffered in the context.
        let bound = Swift.max(LZ4F_compressBound(lz4InputPiece, &preferences), Int(LZ4F_HEADER_SIZE_MAX))
        window = OutputWindow(capacity: bound)
    }

    deinit { LZ4F_freeCompressionContext(context) }

    private func beginIfNeeded(into output: inout [UInt8]) throws {
        guard !started else { return }
        let rc = LZ4F_compressBegin(context, window.base, window.capacity, &preferences)
        guard LZ4F_isError(rc) == 0 else { throw CompressionError("lz4: \(lz4Reason(rc))") }
        window.flush(rc, into: &output)
        started = true
    }

    func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("lz4: compress called after finish") }
        try beginIfNeeded(into: &output)
        try input.forEachPiece(of: lz4InputPiece) { base, count in
            let rc = LZ4F_compressUpdate(context, window.base, window.capacity, base, count, nil)
            guard LZ4F_isError(rc) == 0 else { throw CompressionError("lz4: \(lz4Reason(rc))") }
            window.flush(rc, into: &output)
        }
    }

    func finish(into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("lz4: finish called twice") }
        try beginIfNeeded(into: &output)
        let rc = LZ4F_compressEnd(context, window.base, window.capacity, nil)
        guard LZ4F_isError(rc) == 0 else { throw CompressionError("lz4: \(lz4Reason(rc))") }
        window.flush(rc, into: &output)
        finished = true
    }
}

/// Reads one or more LZ4 frames (skippable frames included), verifying checksums when present.
final class LZ4Decompressor: StreamingDecompressor {
    private let context: OpaquePointer
    private let window = OutputWindow(capacity: CodecLimits.window)
    private var midFrame = false
    private var completeFrames = 0

    init() throws {
        var context: OpaquePointer?
        let rc = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(rc) == 0, let context else {
            throw CompressionError("lz4: cannot initialise decompressor: \(lz4Reason(rc))")
        }
        self.context = context
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    func decompress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        var offset = 0
        while true {
            var produced = window.capacity
            var consumed = input.count - offset
            let rc = LZ4F_decompress(context, window.base, &produced, base + offset, &consumed, nil)
            guard LZ4F_isError(rc) == 0 else {
                // A failed context cannot continue; reset it so a reused instance does not misparse.
                LZ4F_resetDecompressionContext(context)
                throw CompressionError("lz4: \(lz4Reason(rc))")
            }
            offset += consumed
            window.flush(produced, into: &output)
            if rc == 0 {
                // 0 is liblz4's "frame fully decoded and flushed"; the next byte starts a new frame.
                completeFrames += 1
                midFrame = false
            } else if consumed > 0 || produced > 0 {
                midFrame = true
            }
            // With a full window liblz4 may hold more output, so call again even without input.
            if offset == input.count && (produced < window.capacity || rc == 0) { return }
            if consumed == 0 && produced == 0 {
                if offset == input.count { return }
                throw CompressionError("lz4: decompressor made no progress")
            }
        }
    }

    func finish() throws {
        guard !midFrame else { throw CompressionError("lz4: truncated frame") }
        guard completeFrames > 0 else { throw CompressionError("lz4: empty input") }
    }
}
