/// Feeds a stored chunk through a decompressor in slices sized so the plain output of one slice
/// stays small. The codecs append everything one call produces, and a chunk of a base backup can
/// expand enormously (runs of zero pages: gzip ~1000x, a zstd RLE block 128 KiB from 4 bytes), so
/// handing over a whole download chunk could hold gigabytes. Slices start small, shrink after a
/// large expansion and grow back (up to 16 KiB) after small ones.
public struct BoundedDecompression {
    static let maxSlice = 16 << 10
    static let minSlice = 16
    /// Output above this per slice halves the next slice; below an eighth of it doubles it.
    static let outputTarget = 8 << 20

    public let decompressor: any StreamingDecompressor
    private var slice = Self.minSlice
    private var plain: [UInt8] = []

    public init(_ decompressor: any StreamingDecompressor) {
        self.decompressor = decompressor
    }

    /// Decompresses `input`, handing the plain bytes to `sink` in pieces.
    public mutating func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset = 0
        while offset < input.count {
            let end = min(offset + slice, input.count)
            plain.removeAll(keepingCapacity: true)
            try decompressor.decompress(UnsafeRawBufferPointer(rebasing: input[offset..<end]), into: &plain)
            offset = end
            if plain.count > Self.outputTarget {
                slice = max(Self.minSlice, slice / 2)
            } else if plain.count < Self.outputTarget / 8 {
                slice = min(Self.maxSlice, slice * 2)
            }
            if !plain.isEmpty { try plain.withUnsafeBytes(sink) }
            // Do not keep a buffer sized for a rare burst.
            if plain.capacity > 4 * Self.outputTarget { plain = [] }
        }
    }
}
