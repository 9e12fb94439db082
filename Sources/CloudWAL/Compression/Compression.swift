/// The compressions a WAL object may carry, named by the file extension barman-cloud gives them.
///
/// The extension is the only record of how an object was compressed (barman-cloud stores no
/// metadata), so restore derives the codec from the key alone.
public enum Compression: String, Sendable, CaseIterable, Codable {
    case gzip, bzip2, xz, snappy, zstd, lz4

    /// The suffix appended to the WAL file name, dot included.
    public var fileExtension: String {
        switch self {
        case .gzip: ".gz"
        case .bzip2: ".bz2"
        case .xz: ".xz"
        case .snappy: ".snappy"
        case .zstd: ".zst"
        case .lz4: ".lz4"
        }
    }

    /// The compression whose extension ends `name`, if any.
    public static func detect(fromName name: String) -> Compression? {
        allCases.first { name.hasSuffix($0.fileExtension) }
    }
}

/// A compression level as barman-cloud accepts it: a number (clamped to the codec's range) or a name.
public enum CompressionLevel: Sendable, Equatable {
    case low, medium, high
    case numeric(Int)

    /// Parses `low`, `medium`, `high` or an integer (negative allowed, as for zstd's fast levels).
    public init?(argument: String) {
        switch argument.lowercased() {
        case "low": self = .low
        case "medium": self = .medium
        case "high": self = .high
        default:
            guard let value = Int(argument) else { return nil }
            self = .numeric(value)
        }
    }
}

/// Feeds bytes through a compressor. One instance per stream: it owns C state and is not `Sendable`.
public protocol StreamingCompressor: AnyObject {
    /// Compresses `input`, appending whatever output is ready to `output`.
    func compress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws
    /// Ends the stream, appending the remaining output and any trailer.
    func finish(into output: inout [UInt8]) throws
}

/// Feeds compressed bytes through a decompressor. One instance per stream.
public protocol StreamingDecompressor: AnyObject {
    /// Decompresses `input`, appending the plain bytes produced to `output`.
    func decompress(_ input: UnsafeRawBufferPointer, into output: inout [UInt8]) throws
    /// Checks the stream ended where the format says it ends: a truncated object is an error.
    func finish() throws
}

/// A codec failure: corrupt or truncated input, or a library error. `message` names the format.
public struct CompressionError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
