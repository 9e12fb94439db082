import Hummingbird

/// Applies a listener's `AccessPolicy` to every route but `/ping`.
///
/// `/ping` stays open because container health checks cannot carry a secret; it answers
/// `pong` and reveals nothing else.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: AccessPolicy
    let activity: SidecarActivity

    static var socketOnlyFailure: SidecarFailure {
        SidecarFailure(
            status: 401, reason: .unauthorized,
            message: "no token is configured: use the UNIX socket (CLOUD_WAL_LISTEN_SOCKET), or set CLOUD_WAL_TOKEN")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard request.uri.path != "/ping" else { return try await next(request, context) }
        switch access {
        case .open:
            return try await next(request, context)
        case .token(let token):
            guard token.accepts(authorizationHeader: request.headers[.authorization]) else {
                await activity.rejected(SidecarRoutes.operation(forPath: request.uri.path), .unauthorized)
                return Responses.failure(.unauthorized)
            }
            return try await next(request, context)
        case .socketOnly:
            await activity.rejected(SidecarRoutes.operation(forPath: request.uri.path), Self.socketOnlyFailure)
            return Responses.failure(Self.socketOnlyFailure)
        }
    }
}
