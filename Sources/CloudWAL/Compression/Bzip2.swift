import CBzip2

/// Writes one bzip2 stream, as Python's `bz2.compress` does; the level is the block size in 100 kB.
final class Bzip2Compressor: StreamingCompressor {
    // Heap-allocated because libbz2 keeps a back-pointer to the bz_stream and rejects a moved one.
    private let stream: UnsafeMutablePointer<bz_stream>
    private let window = OutputWindow(capacity: CodecLimits.window)
    private var finished = false

    init(level: Int) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        let rc = BZ2_bzCompressInit(stream, Int32(level), 0, 0)
        guard rc == BZ_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CompressionError("bzip2: cannot initialise compressor (error \(rc))")
        }
    }

    deinit {
        BZ2_bzCompressEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("bzip2: compress called after finish") }
        try input.forEachPiece(of: CodecLimits.maxCInput) { base, count in
            stream.pointee.next_in = UnsafeMutableRawPointer(mutating: base).assumingMemoryBound(to: CChar.self)
            stream.pointee.avail_in = UInt32(count)
            repeat {
                let rc = try run(BZ_RUN, into: &output)
                // libbz2 reports a call that could make no progress as BZ_PARAM_ERROR; that happens
                // when the previous call filled the window exactly and nothing more was pending.
                let idle = rc == BZ_PARAM_ERROR && stream.pointee.avail_in == 0
                    && stream.pointee.avail_out == UInt32(window.capacity)
                if idle { break }
                guard rc == BZ_RUN_OK else { throw CompressionError("bzip2: compress error \(rc)") }
            } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
        }
    }

    func finish(into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("bzip2: finish called twice") }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        while true {
            let rc = try run(BZ_FINISH, into: &output)
            if rc == BZ_STREAM_END { break }
            guard rc == BZ_FINISH_OK else { throw CompressionError("bzip2: finish error \(rc)") }
        }
        finished = true
    }

    private func run(_ action: Int32, into output: inout [UInt8]) throws -> Int32 {
        stream.pointee.next_out = UnsafeMutableRawPointer(window.base).assumingMemoryBound(to: CChar.self)
        stream.pointee.avail_out = UInt32(window.capacity)
        let rc = BZ2_bzCompress(stream, action)
        window.flush(window.capacity - Int(stream.pointee.avail_out), into: &output)
        return rc
    }
}

/// Reads one or more concatenated bzip2 streams (what `pbzip2` and `cat` produce).
final class Bzip2Decompressor: StreamingDecompressor {
    private let stream: UnsafeMutablePointer<bz_stream>
    private let window = OutputWindow(capacity: CodecLimits.window)
    /// libbz2 needs a fresh init per stream; this is false after one ends until more input arrives.
    private var active = false
    private var completeStreams = 0

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        try start()
    }

    deinit {
        if active { BZ2_bzDecompressEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    private func start() throws {
        let rc = BZ2_bzDecompressInit(stream, 0, 0)
        guard rc == BZ_OK else { throw CompressionError("bzip2: cannot initialise decompressor (error \(rc))") }
        active = true
    }

    func decompress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        try input.forEachPiece(of: CodecLimits.maxCInput) { base, count in
            stream.pointee.next_in = UnsafeMutableRawPointer(mutating: base).assumingMemoryBound(to: CChar.self)
            stream.pointee.avail_in = UInt32(count)
            while true {
                if !active {
                    // Reinitialising resets the counters but not the input pointers we set above.
                    let next = stream.pointee.next_in, left = stream.pointee.avail_in
                    try start()
                    stream.pointee.next_in = next
                    stream.pointee.avail_in = left
                }
                stream.pointee.next_out = UnsafeMutableRawPointer(window.base).assumingMemoryBound(to: CChar.self)
                stream.pointee.avail_out = UInt32(window.capacity)
                let rc = BZ2_bzDecompress(stream)
                window.flush(window.capacity - Int(stream.pointee.avail_out), into: &output)
                switch rc {
                case BZ_STREAM_END:
                    completeStreams += 1
                    BZ2_bzDecompressEnd(stream)
                    active = false
                    if stream.pointee.avail_in == 0 { return }
                case BZ_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
                case BZ_DATA_ERROR, BZ_DATA_ERROR_MAGIC:
                    throw CompressionError("bzip2: corrupt data")
                case BZ_MEM_ERROR:
                    throw CompressionError("bzip2: out of memory")
                default:
                    throw CompressionError("bzip2: decompress error \(rc)")
                }
            }
        }
    }

    func finish() throws {
        // An active stream that has consumed input began but never reached its end marker.
        let midStream = active && (stream.pointee.total_in_lo32 != 0 || stream.pointee.total_in_hi32 != 0)
        guard !midStream else { throw CompressionError("bzip2: truncated stream") }
        guard completeStreams > 0 else { throw CompressionError("bzip2: empty input") }
    }
}
