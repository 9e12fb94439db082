import CZlib

/// windowBits 15 (32 KiB window) plus 16 asks zlib for a gzip wrapper instead of a zlib one.
private let gzipWindowBits: Int32 = 15 + 16

/// Writes one gzip member, as Python's `gzip.GzipFile` does (barman-cloud's writer).
final class GzipCompressor: StreamingCompressor {
    // Heap-allocated because zlib keeps a back-pointer to the z_stream and rejects a moved one.
    private let stream: UnsafeMutablePointer<z_stream>
    private let window = OutputWindow(capacity: CodecLimits.window)
    private var finished = false

    init(level: Int) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // deflateInit2 is a macro; the underlying function takes the header's version and layout.
        let rc = deflateInit2_(
            stream, Int32(level), Z_DEFLATED, gzipWindowBits, 8, Z_DEFAULT_STRATEGY,
            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CompressionError("gzip: cannot initialise compressor (zlib error \(rc))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("gzip: compress called after finish") }
        try input.forEachPiece(of: CodecLimits.maxCInput) { base, count in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base)
            stream.pointee.avail_in = uInt(count)
            repeat {
                try run(Z_NO_FLUSH, into: &output)
            } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
        }
    }

    func finish(into output: inout [UInt8]) throws {
        guard !finished else { throw CompressionError("gzip: finish called twice") }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        while try run(Z_FINISH, into: &output) != Z_STREAM_END {}
        finished = true
    }

    @discardableResult
    private func run(_ flush: Int32, into output: inout [UInt8]) throws -> Int32 {
        stream.pointee.next_out = window.base
        stream.pointee.avail_out = uInt(window.capacity)
        let rc = deflate(stream, flush)
        // Z_BUF_ERROR only means "no progress possible now", which the loops above handle.
        guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
            throw CompressionError("gzip: \(cMessage(stream.pointee.msg, fallback: "deflate error \(rc)"))")
        }
        window.flush(window.capacity - Int(stream.pointee.avail_out), into: &output)
        return rc
    }
}

/// Reads one or more concatenated gzip members (RFC 1952 allows several; `cat a.gz b.gz` works).
final class GzipDecompressor: StreamingDecompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private let window = OutputWindow(capacity: CodecLimits.window)
    /// True between members: the next non-padding byte must start a new header.
    private var betweenMembers = false
    private var completeMembers = 0
    private var sawInput = false

    init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, gzipWindowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CompressionError("gzip: cannot initialise decompressor (zlib error \(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func decompress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        try input.forEachPiece(of: CodecLimits.maxCInput) { base, count in
            sawInput = true
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base)
            stream.pointee.avail_in = uInt(count)
            try drain(into: &output)
        }
    }

    private func drain(into output: inout [UInt8]) throws {
        while true {
            if betweenMembers {
                // gzip(1) and Python both tolerate zero padding after the last member (tape blocks).
                while stream.pointee.avail_in > 0, stream.pointee.next_in.pointee == 0 {
                    stream.pointee.next_in += 1
                    stream.pointee.avail_in -= 1
                }
                guard stream.pointee.avail_in > 0 else { return }
                let rc = inflateReset(stream)
                guard rc == Z_OK else { throw CompressionError("gzip: cannot reset decompressor (\(rc))") }
                betweenMembers = false
            }
            stream.pointee.next_out = window.base
            stream.pointee.avail_out = uInt(window.capacity)
            let rc = inflate(stream, Z_NO_FLUSH)
            window.flush(window.capacity - Int(stream.pointee.avail_out), into: &output)
            switch rc {
            case Z_STREAM_END:
                completeMembers += 1
                betweenMembers = true
            case Z_OK, Z_BUF_ERROR:
                if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
                if rc == Z_BUF_ERROR && stream.pointee.avail_out > 0 {
                    throw CompressionError("gzip: decompressor made no progress")
                }
            case Z_NEED_DICT:
                throw CompressionError("gzip: stream needs a preset dictionary")
            default:
                throw CompressionError("gzip: \(cMessage(stream.pointee.msg, fallback: "inflate error \(rc)"))")
            }
        }
    }

    func finish() throws {
        guard betweenMembers || !sawInput else { throw CompressionError("gzip: truncated stream") }
        guard completeMembers > 0 else { throw CompressionError("gzip: empty input") }
    }
}
