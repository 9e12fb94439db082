/// Where recovery stops (`recovery_target_time`/`_lsn`/`_name`); PostgreSQL allows one at most.
public enum RecoveryTarget: Sendable, Equatable {
    case time(Timestamp)
    case lsn(LSN)
    case name(String)
}

/// `recovery_target_timeline`: a number, `current` (the backup's) or `latest` (PostgreSQL's default).
public enum TimelineTarget: Sendable, Equatable, CustomStringConvertible {
    case current
    case latest
    case number(Int)

    public init?(_ text: String) {
        switch text {
        case "current": self = .current
        case "latest": self = .latest
        default:
            guard let value = Int(text), value > 0 else { return nil }
            self = .number(value)
        }
    }

    public var description: String {
        switch self {
        case .current: "current"
        case .latest: "latest"
        case .number(let value): String(value)
        }
    }
}

/// `recovery_target_action`.
public enum RecoveryTargetAction: String, Sendable, CaseIterable {
    case pause, promote, shutdown
}
