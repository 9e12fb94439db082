import CloudWAL

/// The sidecar's renderings of the library's `Timestamp`: Prometheus values and UTC strings.
extension Timestamp {
    /// Seconds since the epoch with millisecond precision, as Prometheus timestamps-as-values are.
    public var unixSeconds: Double { Double(microseconds / 1000) / 1000 }

    /// `2026-11-22T04:05:06Z`.
    public var iso8601: String {
        Timestamp(microseconds: microseconds, utcOffsetSeconds: 0).shortFormat.replacingFirst(" ", with: "T") + "Z"
    }

    /// `20261122T040506Z`: sortable and safe in a URL path.
    public var compactUTC: String { Timestamp(microseconds: microseconds, utcOffsetSeconds: 0).backupID + "Z" }
}
