/// What `wal-archive --parallel` remembers about a segment it stored before PostgreSQL asked for
/// it: the segment, the SHA-256 and size of the uncompressed content now durable in the archive,
/// and the object that holds it.
///
/// A record is a promise that lets a later call answer 0 without asking the store, so it is
/// parsed strictly: anything that is not exactly this format is no record at all (the segment is
/// then archived the ordinary way, where the duplicate check proves the content).
public struct ArchiveStateRecord: Sendable, Equatable {
    /// The 24-character segment name, upper-case as PostgreSQL writes it.
    public let segment: String
    /// Lower-case hex SHA-256 of the uncompressed segment.
    public let sha256: String
    public let size: Int
    public let key: String

    static let header = "cloud-wal archive-ahead record 1"
    /// Far larger than any record; a bigger file is not ours.
    static let maximumSize = 4096

    public init?(segment: String, sha256: String, size: Int, key: String) {
        guard let wal = WALFileName(segment), wal.kind == .segment, segment == segment.uppercased(),
            sha256.utf8.count == 64, sha256.utf8.allSatisfy(Self.isLowerHex),
            WALSegmentSize.isValid(size), !key.isEmpty, !key.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f })
        else { return nil }
        self.segment = segment
        self.sha256 = sha256
        self.size = size
        self.key = key
    }

    /// The file's bytes: a fixed header line, then one `field value` line each.
    public func encoded() -> [UInt8] {
        Array("\(Self.header)\nsegment \(segment)\nsha256 \(sha256)\nsize \(size)\nkey \(key)\n".utf8)
    }

    /// Parses a record file's bytes; nil unless they are exactly what `encoded()` writes.
    public init?(parsing bytes: [UInt8]) {
        guard bytes.count <= Self.maximumSize, bytes.last == UInt8(ascii: "\n") else { return nil }
        let lines = String(decoding: bytes.dropLast(), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 5, lines[0] == Self.header else { return nil }
        func field(_ line: Substring, _ name: String) -> String? {
            let prefix = "\(name) "
            guard line.hasPrefix(prefix) else { return nil }
            return String(line.dropFirst(prefix.count))
        }
        guard let segment = field(lines[1], "segment"), let sha256 = field(lines[2], "sha256"),
            let sizeText = field(lines[3], "size"), let size = Int(sizeText), String(size) == sizeText,
            let key = field(lines[4], "key")
        else { return nil }
        self.init(segment: segment, sha256: sha256, size: size, key: key)
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
