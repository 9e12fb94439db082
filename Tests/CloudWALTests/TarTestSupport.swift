import CloudWAL
import Foundation

/// Records what a `TarReader` emits.
final class CollectingSink: TarSink {
    struct Member: Equatable {
        var entry: TarMember
        var content: [UInt8]
    }

    var members: [Member] = []
    private var open = false

    func begin(_ entry: TarMember) throws {
        members.append(Member(entry: entry, content: []))
        open = true
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        members[members.count - 1].content += bytes
    }

    func end() throws { open = false }

    func member(_ path: String) -> Member? { members.first { $0.entry.path == path } }
}

enum TarTool {
    /// Runs a program; throws with its stderr on failure.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TarToolError("\(executable) \(arguments) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Runs a Python snippet with the system python3 (tarfile is in its standard library).
    static func python(_ script: String, in directory: String) throws {
        try run("/usr/bin/python3", ["-c", script], in: directory)
    }

    /// Feeds `bytes` to a fresh reader in chunks of `chunkSize`.
    static func parse(_ bytes: [UInt8], chunkSize: Int, into sink: some TarSink) throws -> TarReader {
        var reader = TarReader()
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunkSize, bytes.count)
            try bytes[offset..<end].withUnsafeBytes { try reader.feed($0, into: sink) }
            offset = end
        }
        return reader
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A long nested path (> 100 and > 155 bytes in total) for the long-name formats.
    static let longDirectory = String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 70)
    static let longFile = String(repeating: "f", count: 120) + ".dat"
}

struct TarToolError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
