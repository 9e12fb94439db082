import Hummingbird

/// Checks `Authorization: Bearer <token>` on every route but `/ping`.
///
/// `/ping` stays open because container health checks cannot carry a secret; it answers
/// `pong` and reveals nothing else.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: BearerToken?
    let activity: SidecarActivity

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let token, request.uri.path != "/ping" else {
            return try await next(request, context)
        }
        guard token.accepts(authorizationHeader: request.headers[.authorization]) else {
            await activity.rejected(SidecarRoutes.operation(forPath: request.uri.path), .unauthorized)
            return Responses.failure(.unauthorized)
        }
        return try await next(request, context)
    }
}
