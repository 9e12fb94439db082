/// `XLOG_PAGE_MAGIC` of each PostgreSQL major: a new value whenever the WAL format changes.
///
/// An unknown value is only ever a warning (see `WALHeaderCheck`): the next major will bring
/// one, and archiving must not stop the day a cluster is upgraded before cloud-wal is.
public enum WALPageMagic {
    public static let byMajorVersion: [UInt16: Int] = [
        0xD075: 93, 0xD07E: 94, 0xD087: 95, 0xD093: 96,
        0xD097: 10, 0xD098: 11, 0xD101: 12, 0xD106: 13, 0xD10D: 14, 0xD110: 15,
        0xD113: 16, 0xD116: 17, 0xD118: 18,
    ]

    /// The PostgreSQL major that writes `magic` (93 for 9.3), if known.
    public static func majorVersion(of magic: UInt16) -> Int? { byMajorVersion[magic] }
}
