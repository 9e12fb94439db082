/// A streaming tar parser: bytes go in as they arrive (any chunk size), entries and their content
/// come out through a `TarSink`. It never buffers file content, only a header block and the small
/// metadata members (GNU long names `L`/`K`, pax `x`/`g`), so memory stays bounded whatever the
/// archive size.
///
/// Formats: ustar (with the prefix field), GNU (long names and links, base-256 numbers) and pax
/// (`path`, `linkpath`, `size`, `mtime`, `uid`, `gid`, `uname`, `gname`; global headers apply to
/// every later member). GNU sparse members and multi-volume archives are refused.
public struct TarReader {
    private enum State {
        case header
        /// Content of the current regular file still to come.
        case content(remaining: Int64)
        /// Content of a metadata member (`L`, `K`, `x`, `g`) being collected.
        case metadata(type: UInt8, remaining: Int)
        /// Zero bytes that round the previous member up to a whole block.
        case padding(remaining: Int)
        /// Two zero blocks seen: what follows (record padding) is ignored.
        case ended
    }

    /// Metadata members larger than this are refused: nothing legitimate needs them.
    static let metadataLimit = 1 << 20

    private var state = State.header
    private var headerBuffer: [UInt8] = []
    private var metadataBuffer: [UInt8] = []
    private var longName: String?
    private var longLink: String?
    private var pax: [String: String] = [:]
    private var globalPax: [String: String] = [:]
    private var zeroBlocks = 0
    /// Content padding owed by the entry being written, applied once its content is done.
    private var pendingPadding = 0

    public private(set) var entryCount = 0

    public init() {
        headerBuffer.reserveCapacity(TarHeaderDecoder.blockSize)
    }

    /// Whether the end-of-archive marker (two zero blocks) has been read.
    public var isAtEndOfArchive: Bool {
        if case .ended = state { return true }
        return false
    }

    /// After an end-of-archive marker, reads what follows as a new archive: barman-cloud splits a
    /// large tar into parts that are each a complete archive (`data.tar`, `data_0001.tar`, ...).
    public mutating func startNextArchive() {
        state = .header
        headerBuffer.removeAll(keepingCapacity: true)
        zeroBlocks = 0
        globalPax = [:]
    }

    /// Throws unless the stream ended cleanly with its end-of-archive marker.
    public func finish() throws {
        switch state {
        case .ended: return
        case .header where headerBuffer.isEmpty && zeroBlocks == 0:
            throw TarError("tar stream has no end-of-archive marker (truncated)")
        default:
            throw TarError("tar stream ends in the middle of a member (truncated)")
        }
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into sink: some TarSink) throws {
        var offset = 0
        while offset < bytes.count {
            let available = bytes.count - offset
            switch state {
            case .ended:
                return
            case .header:
                let needed = TarHeaderDecoder.blockSize - headerBuffer.count
                if headerBuffer.isEmpty, available >= TarHeaderDecoder.blockSize {
                    // The common case: a whole header inside this chunk, no copy.
                    let block = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + TarHeaderDecoder.blockSize])
                    offset += TarHeaderDecoder.blockSize
                    try processHeader(block, sink: sink)
                } else {
                    let take = min(needed, available)
                    headerBuffer.append(contentsOf: bytes[offset..<offset + take])
                    offset += take
                    if headerBuffer.count == TarHeaderDecoder.blockSize {
                        let block = headerBuffer
                        headerBuffer.removeAll(keepingCapacity: true)
                        try block.withUnsafeBytes { try processHeader($0, sink: sink) }
                    }
                }
            case .content(let remaining):
                let take = Int(min(Int64(available), remaining))
                try sink.write(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + take]))
                offset += take
                if remaining - Int64(take) == 0 {
                    try sink.end()
                    state = pendingPadding > 0 ? .padding(remaining: pendingPadding) : .header
                } else {
                    state = .content(remaining: remaining - Int64(take))
                }
            case .metadata(let type, let remaining):
                let take = min(available, remaining)
                metadataBuffer.append(contentsOf: bytes[offset..<offset + take])
                offset += take
                if remaining - take == 0 {
                    try applyMetadata(type: type)
                    state = pendingPadding > 0 ? .padding(remaining: pendingPadding) : .header
                } else {
                    state = .metadata(type: type, remaining: remaining - take)
                }
            case .padding(let remaining):
                let take = min(available, remaining)
                offset += take
                state = remaining - take == 0 ? .header : .padding(remaining: remaining - take)
            }
        }
    }

    private static func padding(for size: Int64) -> Int {
        let rest = Int(size % Int64(TarHeaderDecoder.blockSize))
        return rest == 0 ? 0 : TarHeaderDecoder.blockSize - rest
    }

    private mutating func processHeader(_ block: UnsafeRawBufferPointer, sink: some TarSink) throws {
        if TarHeaderDecoder.isZeroBlock(block) {
            zeroBlocks += 1
            if zeroBlocks >= 2 { state = .ended }
            return
        }
        guard zeroBlocks == 0 else { throw TarError("tar stream has a lone zero block in the middle") }
        let fields = try TarHeaderDecoder.parse(block)
        let type = fields.typeFlag
        switch type {
        case UInt8(ascii: "L"), UInt8(ascii: "K"), UInt8(ascii: "x"), UInt8(ascii: "g"):
            guard fields.size <= Int64(Self.metadataLimit) else {
                throw TarError("tar metadata member of \(fields.size) bytes is too large")
            }
            metadataBuffer.removeAll(keepingCapacity: true)
            pendingPadding = Self.padding(for: fields.size)
            if fields.size == 0 {
                try applyMetadata(type: type)
            } else {
                state = .metadata(type: type, remaining: Int(fields.size))
            }
            return
        case UInt8(ascii: "S"):
            throw TarError("GNU sparse tar members are not supported (\(fields.name))")
        case UInt8(ascii: "M"), UInt8(ascii: "V"):
            throw TarError("multi-volume tar archives are not supported")
        default:
            break
        }

        // Later sources win: ustar fields, then global pax, then GNU long names, then per-member pax.
        var values = globalPax
        values.merge(pax) { _, new in new }
        var entry = TarMember(
            path: fields.name, kind: .file, linkTarget: fields.linkName, mode: fields.mode, size: fields.size,
            modificationTime: fields.modificationTime, uid: fields.uid, gid: fields.gid,
            userName: fields.userName, groupName: fields.groupName)
        if let longName { entry.path = longName }
        if let longLink { entry.linkTarget = longLink }
        if let path = values["path"], !path.isEmpty { entry.path = path }
        if let link = values["linkpath"], !link.isEmpty { entry.linkTarget = link }
        if let size = values["size"] {
            guard let parsed = Int64(size), parsed >= 0 else { throw TarError("invalid pax size '\(size)'") }
            entry.size = parsed
        }
        if let mtime = values["mtime"] {
            // Fractional seconds are allowed; the whole seconds are enough here.
            let whole = mtime.split(separator: ".", maxSplits: 1).first.map(String.init) ?? mtime
            if let seconds = Int64(whole) { entry.modificationTime = seconds }
        }
        if let uid = values["uid"].flatMap({ Int($0) }) { entry.uid = uid }
        if let gid = values["gid"].flatMap({ Int($0) }) { entry.gid = gid }
        if let uname = values["uname"] { entry.userName = uname }
        if let gname = values["gname"] { entry.groupName = gname }
        longName = nil
        longLink = nil
        pax = [:]

        switch type {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
            // Old tars mark directories only by a trailing slash.
            entry.kind = entry.path.hasSuffix("/") && type == 0 ? .directory : .file
        case UInt8(ascii: "1"): entry.kind = .hardlink
        case UInt8(ascii: "2"): entry.kind = .symlink
        case UInt8(ascii: "5"): entry.kind = .directory
        case UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"): entry.kind = .special(type)
        default:
            throw TarError("unsupported tar member type '\(String(UnicodeScalar(type)))' for \(entry.path)")
        }
        // Only regular files carry content; a hard link's size field is ignored (ustar says 0).
        let contentSize = entry.kind == .file ? entry.size : 0
        if entry.kind != .file { entry.size = 0 }
        entryCount += 1
        try sink.begin(entry)
        pendingPadding = Self.padding(for: contentSize)
        if contentSize > 0 {
            state = .content(remaining: contentSize)
        } else {
            try sink.end()
            state = .header
        }
    }

    private mutating func applyMetadata(type: UInt8) throws {
        switch type {
        case UInt8(ascii: "L"), UInt8(ascii: "K"):
            let end = metadataBuffer.firstIndex(of: 0) ?? metadataBuffer.endIndex
            let text = String(decoding: metadataBuffer[..<end], as: UTF8.self)
            if type == UInt8(ascii: "L") { longName = text } else { longLink = text }
        case UInt8(ascii: "x"):
            pax.merge(try TarHeaderDecoder.paxRecords(metadataBuffer)) { _, new in new }
        default:
            for (key, value) in try TarHeaderDecoder.paxRecords(metadataBuffer) {
                globalPax[key] = value.isEmpty ? nil : value
            }
        }
        metadataBuffer.removeAll(keepingCapacity: true)
    }
}
