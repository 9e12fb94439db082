/// The `wals/` folder of a server sorted for verification: every stored segment by timeline and
/// segment number (a number with two keys is a duplicate), `.partial` files, and `.history` files.
/// Built from one recursive listing; keys that are no WAL name are left out, as restore ignores them.
public struct WALArchiveIndex: Sendable, Equatable {
    /// One stored object of a WAL file.
    public struct Stored: Sendable, Equatable {
        public let key: String
        public let wal: WALFileName
        public let compression: Compression?
        public let storedBytes: Int

        public init(key: String, wal: WALFileName, compression: Compression?, storedBytes: Int) {
            self.key = key
            self.wal = wal
            self.compression = compression
            self.storedBytes = storedBytes
        }
    }

    public let sequence: WALSegmentSequence
    /// Complete segments: timeline -> segment number -> every stored copy (sorted by key).
    public private(set) var segments: [UInt32: [UInt64: [Stored]]] = [:]
    /// `.partial` segments: timeline -> segment numbers.
    public private(set) var partials: [UInt32: Set<UInt64>] = [:]
    /// `.history` files by the timeline they describe (every stored copy).
    public private(set) var histories: [UInt32: [Stored]] = [:]

    public init(objects: [ObjectInfo], sequence: WALSegmentSequence) {
        self.sequence = sequence
        for object in objects.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            guard let parsed = ArchiveLayout.parseObjectName(object.key) else { continue }
            let wal = parsed.wal
            let stored = Stored(key: object.key, wal: wal, compression: parsed.compression, storedBytes: object.size)
            switch wal.kind {
            case .segment:
                guard let number = sequence.number(of: wal) else { continue }
                segments[wal.timeline, default: [:]][number, default: []].append(stored)
            case .partial:
                guard let segmentName = wal.segmentName, let segment = WALFileName(segmentName),
                    let number = sequence.number(of: segment)
                else { continue }
                partials[wal.timeline, default: []].insert(number)
            case .history:
                histories[wal.timeline, default: []].append(stored)
            case .backupLabel:
                continue
            }
        }
    }

    /// Every timeline with at least one complete segment, ascending.
    public var segmentTimelines: [UInt32] { segments.keys.sorted() }

    /// The newest complete segment on `timeline`.
    public func newestSegment(on timeline: UInt32) -> UInt64? { segments[timeline]?.keys.max() }

    /// Whether `number` on `timeline` is stored, as a complete segment or a `.partial`.
    public func holds(_ number: UInt64, on timeline: UInt32) -> Bool {
        segments[timeline]?[number] != nil || partials[timeline]?.contains(number) == true
    }

    /// The copies of one segment.
    public func copies(of number: UInt64, on timeline: UInt32) -> [Stored] { segments[timeline]?[number] ?? [] }
}
