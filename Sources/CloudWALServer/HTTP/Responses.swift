import CloudWAL
import Hummingbird

/// The few response shapes the sidecar uses: one-line text, JSON, Prometheus text.
enum Responses {
    static func text(_ status: Int, _ line: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/plain; charset=utf-8"
        let body = line.hasSuffix("\n") ? line : line + "\n"
        return Response(
            status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func failure(_ failure: SidecarFailure) -> Response {
        var headers: HTTPFields = [:]
        if failure.status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        return text(failure.status, failure.message, headers: headers)
    }

    static func json(_ status: Int, _ value: JSONText, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(
            status: .init(code: status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(string: value.rendered + "\n")))
    }

    static func prometheus(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
