import CZstd

private func zstdReason(_ code: Int) -> String {
    String(cString: ZSTD_getErrorName(code))
}

/// Writes one zstd frame with a content checksum, so corruption is caught on restore even though
/// barman-cloud's own frames (python `zstandard` defaults) carry none.
final class ZstdCompressor: StreamingCompressor {
    private let context: OpaquePointer
    private let window = OutputWindow(capacity: ZSTD_CStreamOutSize())
    private var finished = false

    init(level: Int) throws {
        guard let context = ZSTD_createCCtx() else { throw CompressionError("zstd: out of memory") }
        self.context = context
        for (parameter, value) in [(ZSTD_c_compressionLevel, Int32(level)), (ZSTD_c_checksumFlag, 1)] {
            let rc = ZSTD_CCtx_setParameter(context, parameter, value)
            guard ZSTD_isError(rc) == 0 else {
                ZSTD_freeCCtx(context)
                throw CompressionError("zstd: cannot configure compressor: \(zstdReason(rc))")
            }
        }
    }

    deinit { ZSTD_freeCCtx(context) }

    func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("zstd: compress called after finish") }
        guard let base = input.baseAddress, !input.isEmpty else { return }
        var source = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        while source.pos < source.size {
            _ = try run(&source, ZSTD_e_continue, into: &output)
        }
    }

    func finish(into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("zstd: finish called twice") }
        var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        // ZSTD_e_end returns the bytes still to flush; 0 means the frame epilogue is written.
        while try run(&source, ZSTD_e_end, into: &output) != 0 {}
        finished = true
    }

    private func run(
        _ source: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective, into output: inout [UInt8]
    ) throws -> Int {
        var target = ZSTD_outBuffer(dst: window.base, size: window.capacity, pos: 0)
        let rc = ZSTD_compressStream2(context, &target, &source, directive)
        guard ZSTD_isError(rc) == 0 else { throw CompressionError("zstd: \(zstdReason(rc))") }
        window.flush(target.pos, into: &output)
        return rc
    }
}

/// Reads one or more zstd frames, with or without checksum or content size, skipping skippable frames.
final class ZstdDecompressor: StreamingDecompressor {
    private let context: OpaquePointer
    private let window = OutputWindow(capacity: ZSTD_DStreamOutSize())
    private var midFrame = false
    private var completeFrames = 0

    init() throws {
        guard let context = ZSTD_createDCtx() else { throw CompressionError("zstd: out of memory") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    func decompress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        var source = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        while true {
            let before = source.pos
            var target = ZSTD_outBuffer(dst: window.base, size: window.capacity, pos: 0)
            let rc = ZSTD_decompressStream(context, &target, &source)
            guard ZSTD_isError(rc) == 0 else { throw CompressionError("zstd: \(zstdReason(rc))") }
            window.flush(target.pos, into: &output)
            if rc == 0 {
                // 0 means a frame ended and everything it decoded has been flushed.
                completeFrames += 1
                midFrame = false
                if source.pos == source.size { return }
            } else {
                if source.pos > before { midFrame = true }
                if source.pos == source.size && target.pos < target.size { return }
            }
        }
    }

    func finish() throws {
        guard !midFrame else { throw CompressionError("zstd: truncated frame") }
        guard completeFrames > 0 else { throw CompressionError("zstd: empty input") }
    }
}
