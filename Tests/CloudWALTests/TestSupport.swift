import CloudWAL
import Foundation
import Logging

/// A directory under the system temp dir, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "cloud-wal-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let file = "\(path)/\(name)"
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(path)/\(name)")))
    }
}

enum TestData {
    /// WAL-like content: compressible runs and random bytes, deterministic per seed.
    static func segment(size: Int = 1 << 20, seed: UInt64 = 1) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8](repeating: 0, count: size)
        var index = 0
        while index < size {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            let run = Int(state % 4096) + 1
            let end = min(index + run, size)
            if state & 1 == 0 {
                for i in index..<end { bytes[i] = UInt8(truncatingIfNeeded: state >> UInt64(i % 56)) }
            }
            index = end
        }
        return bytes
    }

    static let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
}

extension TestData {
    static let systemIdentifier: UInt64 = 7_301_234_567_890_123_456

    /// A WAL long page header as PostgreSQL 15 writes it at the start of segment `name`.
    static func walHeader(
        _ name: String, segmentSize: Int = 1 << 20, systemIdentifier: UInt64 = systemIdentifier,
        magic: UInt16 = 0xD110, timeline: UInt32? = nil, info: UInt16 = 0x0002, blockSize: UInt32 = 8192
    ) -> [UInt8] {
        let wal = WALFileName(name)
        let perLog = UInt64(0x1_0000_0000) / UInt64(segmentSize)
        let number = UInt64(wal?.log ?? 0) * perLog + UInt64(wal?.segment ?? 0)
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        append(magic)
        append(info)
        append(timeline ?? wal?.timeline ?? 1)
        append(number * UInt64(segmentSize))
        append(UInt32(0))
        append(UInt32(0))  // padding
        append(systemIdentifier)
        append(UInt32(segmentSize))
        append(blockSize)
        return bytes
    }

    /// `segment(size:seed:)` content whose first page header is that of `name`, so it passes the
    /// archiver's and restorer's header checks.
    static func walSegment(
        _ name: String, size: Int = 1 << 20, seed: UInt64 = 1, systemIdentifier: UInt64 = systemIdentifier,
        magic: UInt16 = 0xD110
    ) -> [UInt8] {
        var bytes = segment(size: size, seed: seed)
        let header = walHeader(name, segmentSize: size, systemIdentifier: systemIdentifier, magic: magic)
        bytes.replaceSubrange(0..<header.count, with: header)
        return bytes
    }
}
