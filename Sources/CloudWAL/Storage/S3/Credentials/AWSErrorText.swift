/// Turns text from a remote service into a safe error message: one line, bounded, and with any
/// secret the request carried cut out (a service might echo a token back).
enum AWSErrorText {
    static func sanitized(_ text: String, hiding secrets: [String] = [], limit: Int = 300) -> String {
        var result = text
        for secret in secrets where secret.count >= 4 {
            result = result.replacing(secret, with: "<redacted>")
        }
        let oneLine = result.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" })
            .map { $0.split(separator: " ").joined(separator: " ") }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
        return oneLine.count > limit ? String(oneLine.prefix(limit)) + "…" : oneLine
    }
}
