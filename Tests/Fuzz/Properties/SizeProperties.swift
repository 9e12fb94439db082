#if canImport(CloudWAL)
import CloudWAL
#endif

/// Sizes (`--max-block-size 4MB`): what parses is positive, parses equal from its own rendering in
/// bytes and in every binary unit that divides it, and does not depend on surrounding blanks.
enum SizeProperties {
    static func check(_ bytes: [UInt8]) -> [String] {
        var violations = FuzzViolations()
        let text = String(decoding: bytes, as: UTF8.self)
        let quoted = FuzzViolations.quote(text)
        // (Only this direction: a blank before a combining mark forms one Character with it, so
        // blanks may make a refused text acceptable, which is harmless.)
        guard let size = try? SizeParser.parse(text) else { return violations.messages }
        violations.expect(size > 0, "\(quoted): parsed to \(size)")
        violations.expect((try? SizeParser.parse(" " + text + "\t")) == size, "\(quoted): blanks around it change it")
        violations.expect((try? SizeParser.parse(String(size))) == size, "\(quoted): \(size) does not parse back")
        violations.expect((try? SizeParser.parse("\(size)B")) == size, "\(quoted): \(size)B does not parse back")
        var unitSize = 1
        for unit in ["K", "M", "G", "T"] {
            unitSize *= 1024
            guard size % unitSize == 0 else { break }
            let count = size / unitSize
            violations.expect((try? SizeParser.parse("\(count)\(unit)B")) == size, "\(quoted): \(count)\(unit)B is not \(size)")
            violations.expect((try? SizeParser.parse("\(count) \(unit.lowercased())")) == size, "\(quoted): \(count) \(unit.lowercased()) is not \(size)")
        }
        var decimalSize = 1
        for unit in ["KiB", "MiB", "GiB", "TiB"] {
            decimalSize *= 1000
            guard size % decimalSize == 0 else { break }
            violations.expect((try? SizeParser.parse("\(size / decimalSize)\(unit)")) == size, "\(quoted): \(size / decimalSize)\(unit) is not \(size)")
        }
        return violations.messages
    }
}
