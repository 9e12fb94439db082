/// A timeline's `.history` file as PostgreSQL writes it (`writeTimeLineHistory`): one line per
/// ancestor timeline, `parentTLI <tab> switchpoint LSN <tab> reason`, oldest first; `#` comments
/// and blank lines are allowed (`readTimeLineHistory` skips them).
public struct TimelineHistory: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The ancestor timeline.
        public let timeline: UInt32
        /// Where that timeline was left for the next one.
        public let switchpoint: LSN
    }

    /// The timeline this file describes.
    public let timeline: UInt32
    /// Its ancestors, oldest first; the last one is its parent.
    public let entries: [Entry]

    /// Parses `text` as the history of `timeline`; the error says which line is wrong.
    public init(timeline: UInt32, text: String) throws(TimelineHistoryError) {
        var entries: [Entry] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.first == "#" || line.allSatisfy({ $0 == "\r" }) { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard fields.count >= 2, let tli = UInt32(fields[0]), let lsn = LSN(String(fields[1])) else {
                throw TimelineHistoryError("line \(number + 1) is not 'timeline<TAB>LSN<TAB>reason'")
            }
            if let previous = entries.last {
                guard tli > previous.timeline else {
                    throw TimelineHistoryError("line \(number + 1): timeline \(tli) does not follow \(previous.timeline)")
                }
                guard lsn >= previous.switchpoint else {
                    throw TimelineHistoryError("line \(number + 1): switchpoint \(lsn) is before \(previous.switchpoint)")
                }
            }
            guard tli >= 1, tli < timeline else {
                throw TimelineHistoryError("line \(number + 1): timeline \(tli) cannot be an ancestor of \(timeline)")
            }
            entries.append(Entry(timeline: tli, switchpoint: lsn))
        }
        guard !entries.isEmpty else { throw TimelineHistoryError("it names no parent timeline") }
        self.timeline = timeline
        self.entries = entries
    }

    public init(timeline: UInt32, entries: [Entry]) {
        self.timeline = timeline
        self.entries = entries
    }

    /// The timeline this one branched from and where.
    public var parent: Entry? { entries.last }

    /// Where the path to this timeline leaves `ancestor`, if `ancestor` is on it.
    public func switchpoint(leaving ancestor: UInt32) -> LSN? {
        entries.first { $0.timeline == ancestor }?.switchpoint
    }
}

extension TimelineHistory.Entry {
    public init(_ timeline: UInt32, _ switchpoint: LSN) {
        self.timeline = timeline
        self.switchpoint = switchpoint
    }
}

/// A `.history` file that is not one.
public struct TimelineHistoryError: Error, CategorizedError, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
    public var category: FailureCategory { .corrupt }
}
