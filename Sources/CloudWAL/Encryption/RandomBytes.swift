import Crypto

/// Random bytes from the system's CSPRNG (BoringSSL's `RAND_bytes`, through a fresh key).
enum RandomBytes {
    static func make(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            SymmetricKey(size: .bits256).withUnsafeBytes { out.append(contentsOf: $0.prefix(count - out.count)) }
        }
        return out
    }
}
