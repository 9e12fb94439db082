#if canImport(CloudWAL)
import CloudWAL
#endif

/// Python literals as barman writes them into `backup.info`: a parsed value reads back equal
/// from its own `repr`, and any text written as a string literal reads back as that text.
enum PythonLiteralProperties {
    static func check(_ bytes: [UInt8]) -> [String] {
        var violations = FuzzViolations()
        let text = String(decoding: bytes, as: UTF8.self)
        let quoted = FuzzViolations.quote(text)
        if let value = try? PythonLiteral(parsing: text), !containsNaN(value) {
            let again = try? PythonLiteral(parsing: value.repr)
            violations.expect(again == value, "\(quoted): does not read back from its repr \(FuzzViolations.quote(value.repr))")
        }
        let written = PythonLiteral.repr(text)
        violations.expect(
            (try? PythonLiteral(parsing: written)) == .string(text),
            "\(quoted): repr \(FuzzViolations.quote(written)) does not read back as the text")
        return violations.messages
    }

    /// NaN is never equal to itself, so a value holding one cannot be compared after a round trip.
    static func containsNaN(_ value: PythonLiteral) -> Bool {
        switch value {
        case .float(let number): number.isNaN
        case .list(let items), .tuple(let items): items.contains(where: containsNaN)
        case .dict(let pairs): pairs.contains { containsNaN($0.key) || containsNaN($0.value) }
        default: false
        }
    }
}
