/// Decoding of one 512-byte tar header block: ustar fields, GNU's variants (base-256 numbers, no
/// prefix field) and the checksum. Pure functions over bytes so they are easy to test.
enum TarHeaderDecoder {
    static let blockSize = 512

    struct Fields {
        var name: String
        var mode: UInt32
        var uid: Int
        var gid: Int
        var size: Int64
        var modificationTime: Int64
        var typeFlag: UInt8
        var linkName: String
        var userName: String
        var groupName: String
    }

    static func isZeroBlock(_ block: UnsafeRawBufferPointer) -> Bool {
        block.allSatisfy { $0 == 0 }
    }

    /// Parses a header; throws on a checksum mismatch or malformed number.
    static func parse(_ block: UnsafeRawBufferPointer) throws -> Fields {
        precondition(block.count == blockSize)
        let stored = try number(block, 148, 8)
        // The checksum is computed with its own field as eight spaces; old tars summed signed bytes.
        var unsigned = 0
        var signed = 0
        for (index, byte) in block.enumerated() {
            let value = (148..<156).contains(index) ? 0x20 : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        guard Int64(unsigned) == stored || Int64(signed) == stored else {
            throw TarError("tar header checksum mismatch (not a tar stream, or corrupt)")
        }
        var name = string(block, 0, 100)
        // POSIX ustar ("ustar\0") splits long names into prefix + name; GNU's "ustar  " uses
        // those bytes for other things, so the prefix is read only for the POSIX magic.
        let magic = Array(block[257..<263])
        if magic == Array("ustar".utf8) + [0] {
            let prefix = string(block, 345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        return Fields(
            name: name,
            mode: UInt32(truncatingIfNeeded: try number(block, 100, 8)) & 0o7777,
            uid: Int(try number(block, 108, 8)),
            gid: Int(try number(block, 116, 8)),
            size: try number(block, 124, 12),
            modificationTime: try number(block, 136, 12),
            typeFlag: block[156],
            linkName: string(block, 157, 100),
            userName: string(block, 265, 32),
            groupName: string(block, 297, 32))
    }

    /// A NUL-terminated field, decoded as UTF-8 (invalid bytes replaced).
    static func string(_ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int) -> String {
        let field = block[offset..<offset + length]
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[offset..<end], as: UTF8.self)
    }

    /// An octal field (leading spaces/NULs allowed, ended by space or NUL), or GNU base-256 when
    /// the first byte has its high bit set (sizes of 8 GiB and more, large ids).
    static func number(_ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int) throws -> Int64 {
        let field = block[offset..<offset + length]
        guard let first = field.first else { return 0 }
        if first & 0x80 != 0 {
            guard first == 0x80 else { throw TarError("negative base-256 number in tar header") }
            var value: Int64 = 0
            for byte in field.dropFirst() {
                guard value <= (Int64.max >> 8) else { throw TarError("base-256 number too large in tar header") }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var started = false
        for byte in field {
            if byte == 0 || byte == 0x20 {
                if started { break }
                continue
            }
            guard byte >= 0x30, byte <= 0x37 else { throw TarError("invalid octal number in tar header") }
            guard value <= (Int64.max >> 3) else { throw TarError("octal number too large in tar header") }
            value = value << 3 | Int64(byte - 0x30)
            started = true
        }
        return value
    }

    /// pax extended header records: `"<len> <key>=<value>\n"`, where len counts the whole record.
    static func paxRecords(_ bytes: [UInt8]) throws -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0 { break }  // some writers pad with NULs
            var length = 0
            var cursor = index
            while cursor < bytes.count, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39 {
                length = length * 10 + Int(bytes[cursor] - 0x30)
                guard length <= bytes.count else { throw TarError("pax record length out of range") }
                cursor += 1
            }
            guard cursor < bytes.count, bytes[cursor] == 0x20, length > cursor - index + 1,
                index + length <= bytes.count, bytes[index + length - 1] == 0x0A
            else { throw TarError("malformed pax extended header") }
            let record = bytes[(cursor + 1)..<(index + length - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else {
                throw TarError("malformed pax record (no '=')")
            }
            let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
            records[key] = String(decoding: record[(equals + 1)...], as: UTF8.self)
            index += length
        }
        return records
    }
}
