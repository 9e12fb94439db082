/// Failures of client-side encryption: keyrings, headers, chunks. Messages name keys by their
/// name (or KMS key id) only; never a key's bytes.
public typealias EncryptionError = ClassifiedError<EncryptionErrorKind>

public enum EncryptionErrorKind: ErrorKind {
    /// The keyring file is unusable: missing, readable by others, not ours, malformed (exit 3).
    case keyringInvalid
    /// The object needs a key we do not hold: not in the keyring, or no keyring given.
    case keyUnavailable
    /// The stored bytes fail a check: bad header, a tag that does not verify, truncation.
    case corrupt
    /// A format version or key source this cloud-wal does not know (written by a newer one).
    case unsupported
    /// The keyring file could not be written.
    case localIO
}
