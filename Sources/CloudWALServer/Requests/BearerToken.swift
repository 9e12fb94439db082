/// The shared secret of `Authorization: Bearer <token>`.
///
/// Compared in constant time (for a given token length) so response timing does not reveal how
/// many leading bytes of a guess were right.
public struct BearerToken: Sendable {
    private let expected: [UInt8]

    /// nil for an empty token: an empty secret would let anyone in while looking configured.
    public init?(_ token: String) {
        let trimmed = Self.trimmed(token)
        guard !trimmed.isEmpty else { return nil }
        expected = Array(trimmed.utf8)
    }

    /// Whether an `Authorization` header value carries this token.
    public func accepts(authorizationHeader header: String?) -> Bool {
        guard let header else { return false }
        let scheme = "bearer "
        guard header.count > scheme.count, header.prefix(scheme.count).lowercased() == scheme else { return false }
        let given = Array(Self.trimmed(String(header.dropFirst(scheme.count))).utf8)
        return Self.constantTimeEquals(given, expected)
    }

    /// Examines every byte of `expected` whatever `given` holds; only the length of the secret
    /// can be learned from timing, never its content.
    static func constantTimeEquals(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference: UInt8 = given.count == expected.count ? 0 : 1
        for index in expected.indices {
            let byte = index < given.count ? given[index] : 0
            difference |= byte ^ expected[index]
        }
        return difference == 0
    }

    /// Token files usually end with a newline; surrounding blanks are never part of a token.
    private static func trimmed(_ text: String) -> String {
        let blanks: Set<Character> = [" ", "\t", "\n", "\r"]
        return String(text.drop(while: { blanks.contains($0) }).reversed().drop(while: { blanks.contains($0) }).reversed())
    }
}
