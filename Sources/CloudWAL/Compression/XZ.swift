import CLZMA

/// `LZMA_CONCATENATED` is defined through `UINT32_C`, which Swift does not import.
private let lzmaConcatenated: UInt32 = 0x08

private func lzmaReason(_ rc: lzma_ret) -> String {
    switch rc {
    case LZMA_MEM_ERROR: "out of memory"
    case LZMA_FORMAT_ERROR: "not an xz stream"
    case LZMA_OPTIONS_ERROR: "unsupported options"
    case LZMA_DATA_ERROR: "corrupt data"
    case LZMA_BUF_ERROR: "truncated stream"
    case LZMA_UNSUPPORTED_CHECK: "unsupported integrity check"
    default: "liblzma error \(rc.rawValue)"
    }
}

/// Writes one .xz stream with a CRC64 check, byte-identical to Python's `lzma.compress(data, preset=n)`.
final class XZCompressor: StreamingCompressor {
    private let stream: UnsafeMutablePointer<lzma_stream>
    private let window = OutputWindow(capacity: CodecLimits.window)
    private var finished = false

    init(level: Int) throws {
        stream = .allocate(capacity: 1)
        // A zeroed lzma_stream is what LZMA_STREAM_INIT expands to.
        stream.initialize(to: lzma_stream())
        let rc = lzma_easy_encoder(stream, UInt32(level), LZMA_CHECK_CRC64)
        guard rc == LZMA_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CompressionError("xz: cannot initialise compressor: \(lzmaReason(rc))")
        }
    }

    deinit {
        lzma_end(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("xz: compress called after finish") }
        guard let base = input.baseAddress, !input.isEmpty else { return }
        stream.pointee.next_in = base.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_in = input.count
        repeat {
            let rc = run(LZMA_RUN, into: &output)
            guard rc == LZMA_OK else { throw CompressionError("xz: \(lzmaReason(rc))") }
        } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
        stream.pointee.next_in = nil
    }

    func finish(into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("xz: finish called twice") }
        while true {
            let rc = run(LZMA_FINISH, into: &output)
            if rc == LZMA_STREAM_END { break }
            guard rc == LZMA_OK else { throw CompressionError("xz: \(lzmaReason(rc))") }
        }
        finished = true
    }

    private func run(_ action: lzma_action, into output: inout [UInt8]) -> lzma_ret {
        stream.pointee.next_out = window.base
        stream.pointee.avail_out = window.capacity
        let rc = lzma_code(stream, action)
        window.flush(window.capacity - stream.pointee.avail_out, into: &output)
        return rc
    }
}

/// Reads concatenated .xz streams (with optional stream padding), verifying each stream's check.
final class XZDecompressor: StreamingDecompressor {
    private let stream: UnsafeMutablePointer<lzma_stream>
    private let window = OutputWindow(capacity: CodecLimits.window)
    private var ended = false

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: lzma_stream())
        let rc = lzma_stream_decoder(stream, UInt64.max, lzmaConcatenated)
        guard rc == LZMA_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CompressionError("xz: cannot initialise decompressor: \(lzmaReason(rc))")
        }
    }

    deinit {
        lzma_end(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func decompress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard !ended else { throw CompressionError("xz: data after end of stream") }
        guard let base = input.baseAddress, !input.isEmpty else { return }
        stream.pointee.next_in = base.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_in = input.count
        defer { stream.pointee.next_in = nil; stream.pointee.avail_in = 0 }
        while true {
            stream.pointee.next_out = window.base
            stream.pointee.avail_out = window.capacity
            let rc = lzma_code(stream, LZMA_RUN)
            window.flush(window.capacity - stream.pointee.avail_out, into: &output)
            switch rc {
            case LZMA_OK:
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
            case LZMA_BUF_ERROR:
                // No progress with input available can only mean the output window was full.
                if stream.pointee.avail_out > 0 { return }
            default:
                // LZMA_STREAM_END cannot occur before LZMA_FINISH in concatenated mode.
                throw CompressionError("xz: \(lzmaReason(rc))")
            }
        }
    }

    func finish() throws {
        guard !ended else { return }
        // In concatenated mode only LZMA_FINISH tells liblzma no further stream follows; every
        // byte of a complete stream has already been produced, so no output can appear here.
        stream.pointee.next_out = window.base
        stream.pointee.avail_out = window.capacity
        let rc = lzma_code(stream, LZMA_FINISH)
        guard rc == LZMA_STREAM_END else {
            throw CompressionError("xz: \(rc == LZMA_OK ? "truncated stream" : lzmaReason(rc))")
        }
        guard stream.pointee.avail_out == window.capacity else {
            throw CompressionError("xz: unexpected output at end of stream")
        }
        ended = true
    }
}
