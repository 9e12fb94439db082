/// One fuzz target: a name (also its corpus folder, `Tests/Fuzz/corpus/<name>/`) and a check that
/// takes arbitrary bytes and returns the properties they broke (empty when all held).
///
/// The same checks run in two places: the libFuzzer harness (`scripts/fuzz.sh`), which compiles
/// these files together with the parsers' sources and aborts on the first violation, and the
/// `FuzzTests` suites, which replay every corpus file through them with `import CloudWAL`.
/// So this code uses only the library's public API, and needs neither Foundation nor Testing.
struct FuzzTarget: Sendable {
    let name: String
    let check: @Sendable ([UInt8]) -> [String]

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "wal-name", check: { WALNameProperties.check($0) }),
        FuzzTarget(name: "storage-url", check: { StorageURLProperties.check($0) }),
        FuzzTarget(name: "tag", check: { TagProperties.check($0) }),
        FuzzTarget(name: "size", check: { SizeProperties.check($0) }),
        FuzzTarget(name: "tar", check: { TarStreamProperties.check($0) }),
        FuzzTarget(name: "tar-extract", check: { TarExtractionProperties.check($0) }),
        FuzzTarget(name: "python-literal", check: { PythonLiteralProperties.check($0) }),
        FuzzTarget(name: "backup-info", check: { BackupInfoProperties.check($0) }),
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Collects broken properties with a shortened rendering of the input that broke them.
struct FuzzViolations {
    private(set) var messages: [String] = []

    mutating func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { messages.append(message()) }
    }

    /// Quotes text for a message, escaping what a terminal would hide.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars.prefix(200) {
            if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\"" || scalar == "\\" {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + (text.unicodeScalars.count > 200 ? "…\"" : "\"")
    }
}

/// Names that must never be accepted where a single path component is expected.
enum FuzzNameRules {
    static func isSafeComponent(_ text: String) -> Bool {
        !text.isEmpty && !text.contains("/") && !text.unicodeScalars.contains("\0") && !text.contains("..")
    }
}
