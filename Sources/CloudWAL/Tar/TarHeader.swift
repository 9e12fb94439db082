/// POSIX ustar headers, with a pax extended header in front when a path does not fit ustar's
/// fields or a file is larger than its 8 GiB size field. GNU tar, Python's tarfile (barman) and
/// our own reader all read this form.
public struct TarEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file(size: Int)
        case directory
        case symlink(target: String)
    }

    public var path: String
    public var kind: Kind
    public var mode: Int
    public var uid: Int
    public var gid: Int
    public var mtime: Int

    public init(path: String, kind: Kind, mode: Int, uid: Int = 0, gid: Int = 0, mtime: Int = 0) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.mtime = mtime
    }

    public var size: Int {
        if case let .file(size) = kind { return size }
        return 0
    }
}

public enum TarFormat {
    public static let blockSize = 512
    /// The largest size the 11-digit octal field holds.
    static let maxUstarSize = (1 << 33) - 1
    /// The largest uid or gid the 7-digit octal field holds.
    static let maxUstarID = (1 << 21) - 1

    /// The header block(s) for `entry`; the content and its padding follow.
    public static func header(for entry: TarEntry) -> [UInt8] {
        var pax: [(String, String)] = []
        var name = entry.path
        var prefix = ""
        if entry.kind == .directory, !name.hasSuffix("/") { name += "/" }
        if name.utf8.count > 100 {
            if let split = splitUstarName(name) {
                (prefix, name) = split
            } else {
                pax.append(("path", name))
                name = String(decoding: name.utf8.prefix(100), as: UTF8.self)
            }
        }
        var linkName = ""
        if case let .symlink(target) = entry.kind {
            linkName = target
            if target.utf8.count > 100 {
                pax.append(("linkpath", target))
                linkName = String(decoding: target.utf8.prefix(100), as: UTF8.self)
            }
        }
        var size = entry.size
        if size > maxUstarSize {
            pax.append(("size", String(size)))
            size = 0
        }
        // ustar's 8-byte owner fields hold 7 octal digits; directory services hand out larger
        // ids, which would otherwise be cut to their first digits (and restored to a wrong owner).
        var (uid, gid) = (entry.uid, entry.gid)
        if uid > maxUstarID {
            pax.append(("uid", String(uid)))
            uid = 0
        }
        if gid > maxUstarID {
            pax.append(("gid", String(gid)))
            gid = 0
        }
        var out: [UInt8] = []
        if !pax.isEmpty {
            let records = pax.map(paxRecord).joined()
            let body = Array(records.utf8)
            out += block(
                name: "PaxHeaders/" + String(decoding: name.utf8.suffix(80), as: UTF8.self), mode: 0o644, uid: 0,
                gid: 0, size: body.count, mtime: entry.mtime, type: UInt8(ascii: "x"), linkName: "", prefix: "")
            out += body
            out += padding(for: body.count)
        }
        let type: UInt8
        switch entry.kind {
        case .file: type = UInt8(ascii: "0")
        case .directory: type = UInt8(ascii: "5")
        case .symlink: type = UInt8(ascii: "2")
        }
        out += block(
            name: name, mode: entry.mode, uid: uid, gid: gid, size: size, mtime: entry.mtime, type: type,
            linkName: linkName, prefix: prefix)
        return out
    }

    /// Zeros up to the next block boundary after `size` bytes of content.
    public static func padding(for size: Int) -> [UInt8] {
        let remainder = size % blockSize
        return remainder == 0 ? [] : [UInt8](repeating: 0, count: blockSize - remainder)
    }

    /// Two zero blocks end an archive.
    public static let trailer = [UInt8](repeating: 0, count: 2 * blockSize)

    /// ustar's prefix/name split at a `/`, when both halves fit (155 and 100 bytes).
    static func splitUstarName(_ path: String) -> (String, String)? {
        let bytes = Array(path.utf8)
        guard bytes.count <= 256 else { return nil }
        for index in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[index] == UInt8(ascii: "/") {
            let rest = bytes.count - index - 1
            if rest > 0, rest <= 100 {
                return (String(decoding: bytes[..<index], as: UTF8.self), String(decoding: bytes[(index + 1)...], as: UTF8.self))
            }
        }
        return nil
    }

    /// `"<length> <key>=<value>\n"`, where the length counts itself.
    public static func paxRecord(_ pair: (String, String)) -> String {
        let payload = " \(pair.0)=\(pair.1)\n"
        var length = payload.utf8.count + 1
        while String(length).count + payload.utf8.count != length { length += 1 }
        return String(length) + payload
    }

    private static func block(
        name: String, mode: Int, uid: Int, gid: Int, size: Int, mtime: Int, type: UInt8, linkName: String,
        prefix: String
    ) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: blockSize)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { header[offset + index] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(max(0, value), radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(mode & 0o7777, at: 100, width: 8)
        octal(uid, at: 108, width: 8)
        octal(gid, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        header[156] = type
        put(linkName, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(prefix, at: 345, width: 155)
        // The checksum is computed with its own field read as spaces.
        for index in 148..<156 { header[index] = UInt8(ascii: " ") }
        let sum = header.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, width: 6)
        header[154] = 0
        header[155] = UInt8(ascii: " ")
        return header
    }
}
