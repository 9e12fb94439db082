/// One member of a tar archive as the reader hands it on: the header fields after GNU long-name
/// and pax records have been applied, so consumers never see the metadata entries themselves.
public struct TarMember: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file
        case directory
        case symlink
        case hardlink
        /// Character and block devices, FIFOs: nothing a PostgreSQL backup holds; extraction skips them.
        case special(UInt8)
    }

    /// The member's name as stored (may end in `/` for directories, may start with `./`).
    public var path: String
    public var kind: Kind
    /// Where a symlink points, or the member a hard link names.
    public var linkTarget: String
    /// Permission bits (`0o7777` at most).
    public var mode: UInt32
    /// Bytes of content that follow the header (zero for everything but regular files).
    public var size: Int64
    /// Seconds since the epoch.
    public var modificationTime: Int64
    public var uid: Int
    public var gid: Int
    public var userName: String
    public var groupName: String

    public init(
        path: String, kind: Kind, linkTarget: String = "", mode: UInt32 = 0o644, size: Int64 = 0,
        modificationTime: Int64 = 0, uid: Int = 0, gid: Int = 0, userName: String = "", groupName: String = ""
    ) {
        self.path = path
        self.kind = kind
        self.linkTarget = linkTarget
        self.mode = mode
        self.size = size
        self.modificationTime = modificationTime
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
    }
}

/// Receives what a `TarReader` parses: an entry, its content in pieces, then its end.
/// Content slices are only valid during the call (they point into the caller's buffer).
public protocol TarSink: AnyObject {
    func begin(_ entry: TarMember) throws
    func write(_ bytes: UnsafeRawBufferPointer) throws
    func end() throws
}

/// A tar stream that is not what it should be: bad checksum, truncated, unsupported member type.
public struct TarError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
