/// Who may use a listener's routes (all but `/ping`, which is always open).
public enum AccessPolicy: Sendable {
    /// Requests must carry `Authorization: Bearer <token>`.
    case token(BearerToken)
    /// Anyone: the UNIX socket (its file mode is the guard), or TCP after an explicit opt-out.
    case open
    /// No token is configured and a UNIX socket serves instead: TCP answers only `/ping`.
    case socketOnly
}
