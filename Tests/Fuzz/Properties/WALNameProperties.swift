#if canImport(CloudWAL)
import CloudWAL
#endif

/// WAL file names and LSNs: what parses is a safe bare name that formats back to itself, and
/// what the formatter builds always parses back to the same numbers.
enum WALNameProperties {
    static func check(_ bytes: [UInt8]) -> [String] {
        var violations = FuzzViolations()
        let text = String(decoding: bytes, as: UTF8.self)
        let quoted = FuzzViolations.quote(text)

        if let name = WALFileName(text) {
            violations.expect(name.name == text && name.description == text, "\(quoted): name not kept as given")
            violations.expect(FuzzNameRules.isSafeComponent(text), "\(quoted): accepted a name with '/', NUL or '..'")
            violations.expect(text.utf8.allSatisfy { $0 < 0x80 }, "\(quoted): accepted a non-ASCII name")
            let formatted: String
            switch name.kind {
            case .history: formatted = hex8(name.timeline) + ".history"
            case .segment: formatted = hex8(name.timeline) + hex8(name.log) + hex8(name.segment)
            case .partial: formatted = hex8(name.timeline) + hex8(name.log) + hex8(name.segment) + ".partial"
            case .backupLabel:
                formatted = hex8(name.timeline) + hex8(name.log) + hex8(name.segment) + "." + String(text.dropFirst(25).prefix(8)).uppercased() + ".backup"
            }
            violations.expect(formatted.uppercased() == text.uppercased(), "\(quoted): formats back as \(formatted)")
            if name.kind == .history {
                violations.expect(name.hashDirectory == nil && name.segmentName == nil, "\(quoted): history has a segment")
            } else {
                violations.expect(name.hashDirectory == String(text.prefix(16)).uppercased(), "\(quoted): hash directory")
                violations.expect(name.segmentName.flatMap(WALFileName.init)?.kind == .segment, "\(quoted): segment name does not parse")
            }
            // Case is kept in the name but does not change what it means.
            let lower = WALFileName(text.lowercased())
            violations.expect(
                lower?.kind == name.kind && lower?.timeline == name.timeline && lower?.log == name.log
                    && lower?.segment == name.segment, "\(quoted): lower-cased name means something else")
        } else {
            violations.expect(!WALFileName.isValid(text), "\(quoted): isValid disagrees with init")
        }

        // The other direction: any three numbers format to a segment name that parses back to them.
        if bytes.count >= 12 {
            let (tli, log, seg) = (word(bytes, 0), word(bytes, 4), word(bytes, 8))
            let segment = hex8(tli) + hex8(log) + hex8(seg)
            let parsed = WALFileName(segment)
            violations.expect(
                parsed?.kind == .segment && parsed?.timeline == tli && parsed?.log == log && parsed?.segment == seg,
                "\(segment): a formatted segment name does not parse back")
            violations.expect(WALFileName(segment + ".partial")?.kind == .partial, "\(segment).partial does not parse")
            violations.expect(WALFileName(hex8(tli) + ".history")?.timeline == tli, "\(hex8(tli)).history does not parse")
        }

        if let lsn = LSN(text) {
            violations.expect(LSN(lsn.description) == lsn, "\(quoted): LSN does not round-trip through \(lsn)")
            let segmentSize = 1 << (20 + Int(bytes.first ?? 0) % 11)  // 1 MiB ... 1 GiB, as initdb allows
            let (file, offset) = lsn.segment(timeline: 1, segmentSize: segmentSize)
            violations.expect(WALFileName(file)?.kind == .segment, "\(quoted): LSN's segment \(file) does not parse")
            violations.expect(offset >= 0 && offset < segmentSize, "\(quoted): LSN offset \(offset) out of the segment")
        }
        return violations.messages
    }

    static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
