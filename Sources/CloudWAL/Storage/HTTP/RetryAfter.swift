/// The `Retry-After` header in seconds (the HTTP-date form is not used by the object stores).
enum RetryAfter {
    static func parse(_ response: HTTPResponse) -> Duration? {
        guard let value = response.header("Retry-After")?.trimmingSpaces, let seconds = Int(value), seconds >= 0 else {
            return nil
        }
        return .seconds(seconds)
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
