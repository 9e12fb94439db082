/// The names of keyring keys: 1 to 64 of `A-Z a-z 0-9 . _ -`, so a name is safe in a header, a
/// log line and a file of `name key` lines alike.
public enum KeyName {
    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        return (1...EncryptionFormat.maxKeyNameLength).contains(bytes.count)
            && bytes.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }
}
