import Foundation
import Testing

/// Test data and barman's key layout, shared by the archive, interop and fault suites.
enum WALFixture {
    /// The compressions both tools support, as (name, our/barman CLI flags, object key extension).
    static let compressions: [Compression] = [
        Compression(name: "none", flags: [], ext: ""),
        Compression(name: "gzip", flags: ["-z"], ext: ".gz"),
        Compression(name: "bzip2", flags: ["-j"], ext: ".bz2"),
        Compression(name: "xz", flags: ["--xz"], ext: ".xz"),
        Compression(name: "snappy", flags: ["--snappy"], ext: ".snappy"),
        Compression(name: "zstd", flags: ["--zstd"], ext: ".zst"),
        Compression(name: "lz4", flags: ["--lz4"], ext: ".lz4"),
    ]

    struct Compression: Sendable, CustomTestStringConvertible {
        let name: String
        let flags: [String]
        let ext: String
        var testDescription: String { name }
    }

    /// `rawSegmentBytes` that start with segment `name`'s long page header, as cloud-wal requires.
    static func segmentBytes(_ name: String, seed: UInt64, size: Int = 1 << 20) -> Data {
        WALSegmentHeader.stamped(rawSegmentBytes(seed: seed, size: size), as: name)
    }

    /// 1 MiB (a valid segment size) that compresses roughly like WAL (page headers, runs of
    /// pseudo-random bytes, zero padding, repeated tuples) and differs for every seed.
    static func rawSegmentBytes(seed: UInt64, size: Int = 1 << 20) -> Data {
        var data = Data(count: size)
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        data.withUnsafeMutableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let page = 8192
            var offset = 0
            while offset < size {
                let end = min(offset + page, size)
                var i = offset
                // 24-byte "page header": page number and seed.
                var header = UInt64(offset / page) << 16 ^ seed
                while i < min(offset + 24, end) {
                    bytes[i] = UInt8(truncatingIfNeeded: header)
                    header = header >> 8 | header << 56
                    i += 1
                }
                // ~1.5 KiB of noise.
                while i < min(offset + 1560, end) {
                    state ^= state << 13; state ^= state >> 7; state ^= state << 17
                    bytes[i] = UInt8(truncatingIfNeeded: state)
                    i += 1
                }
                // Repeated "tuples" mentioning the seed, then zeros.
                let tuple = Array("tuple seed=\(seed) aid=".utf8)
                var n = 0
                while i < min(offset + 6000, end) {
                    bytes[i] = tuple[n % tuple.count] &+ UInt8(truncatingIfNeeded: n / 97)
                    n += 1
                    i += 1
                }
                while i < end { bytes[i] = 0; i += 1 }
                offset = end
            }
        }
        return data
    }

    /// barman's key: `PREFIX/SERVER/wals/<first 16 hex upper>/<name><ext>`, history files directly under wals/.
    static func key(prefix: String, server: String, name: String, ext: String = "") -> String {
        let base = prefix.isEmpty ? server : prefix + "/" + server
        if name.hasSuffix(".history") { return "\(base)/wals/\(name)\(ext)" }
        return "\(base)/wals/\(name.prefix(16).uppercased())/\(name)\(ext)"
    }
}
