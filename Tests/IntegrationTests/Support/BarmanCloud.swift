import Foundation
import Testing

/// barman-cloud 3.19.1 from the test venv, pointed at a `MotoServer`.
///
/// `restore` always passes its own `--spool-dir` in a fresh temp directory: the default
/// `/var/tmp/walrestore` is shared machine-wide and a stale spooled file there would be delivered
/// instead of the object (see test-infra.md §5a).
struct BarmanCloud: Sendable {
    let server: MotoServer
    let archiveTool: String
    let restoreTool: String

    init(server: MotoServer) throws {
        self.server = server
        archiveTool = try TestVenv.tool("barman-cloud-wal-archive")
        restoreTool = try TestVenv.tool("barman-cloud-wal-restore")
    }

    /// barman's flag for a compression (nil = none). Same spelling as ours.
    static func flag(for compression: String?) -> [String] {
        guard let compression else { return [] }
        switch compression {
        case "gzip": return ["--gzip"]
        case "bzip2": return ["--bzip2"]
        default: return ["--" + compression]  // xz snappy zstd lz4
        }
    }

    /// `barman-cloud-wal-archive --endpoint-url <moto> [options] URL SERVER WAL_PATH`.
    func archive(url: String, serverName: String, walPath: String, options: [String] = [],
                 environment: [String: String]? = nil, timeout: Duration = .seconds(120)) async throws -> ProcessResult {
        try await ProcessRunner.run(
            archiveTool, ["--endpoint-url", server.endpoint] + options + [url, serverName, walPath],
            environment: environment ?? server.environment, timeout: timeout)
    }

    /// `barman-cloud-wal-restore --spool-dir <fresh temp> --endpoint-url <moto> [options] URL SERVER WAL_NAME DEST`.
    func restore(url: String, serverName: String, walName: String, destination: String, options: [String] = [],
                 environment: [String: String]? = nil, timeout: Duration = .seconds(120)) async throws -> ProcessResult {
        let spool = try TempDirectory.make(prefix: "cloudwal-spool", ownedByServer: false)
        defer { spool.remove() }
        return try await ProcessRunner.run(
            restoreTool,
            ["--spool-dir", spool.path, "--endpoint-url", server.endpoint] + options
                + [url, serverName, walName, destination],
            environment: environment ?? server.environment, timeout: timeout)
    }

    /// Like `archive`, but throws unless barman exits 0.
    func checkedArchive(url: String, serverName: String, walPath: String, options: [String] = []) async throws {
        let result = try await archive(url: url, serverName: serverName, walPath: walPath, options: options)
        guard result.succeeded else {
            throw HarnessError("barman-cloud-wal-archive \(options) \(url) \(serverName) \(walPath) exited \(result.status) "
                               + "(timedOut \(result.timedOut)): \(lastLines(result.stderr, lines: 10))")
        }
    }
}

/// Test data and key layout shared by the S3 suites.
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
