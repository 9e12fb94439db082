/// A fixed-size native buffer the C libraries write into before the bytes are appended to the
/// caller's array. Writing straight into `[UInt8]` would need zero-filling and trimming on every
/// call; one reusable window keeps memory bounded however large the stream is.
final class OutputWindow {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Appends the first `count` bytes of the window to `output`.
    @inline(__always)
    func flush(_ count: Int, into output: inout [UInt8]) {
        guard count > 0 else { return }
        output.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
    }
}

enum CodecLimits {
    /// Output window size: large enough that a 16 MiB segment needs few C calls, small enough to
    /// stay in L2 cache.
    static let window = 256 * 1024
    /// zlib and libbz2 count input in 32-bit integers, so larger buffers are fed in pieces.
    static let maxCInput = 1 << 30
}

extension UnsafeRawBufferPointer {
    /// Splits the buffer into pieces of at most `size` bytes, none empty.
    @inline(__always)
    func forEachPiece(of size: Int, _ body: (UnsafePointer<UInt8>, Int) throws -> Void) rethrows {
        guard let base = baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var offset = 0
        while offset < count {
            let n = Swift.min(size, count - offset)
            try body(base + offset, n)
            offset += n
        }
    }
}

/// Turns a C message pointer (zlib's `msg`) into text, with a fallback when the library gave none.
func cMessage(_ pointer: UnsafePointer<CChar>?, fallback: String) -> String {
    guard let pointer else { return fallback }
    return String(cString: pointer)
}
