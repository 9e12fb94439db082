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
