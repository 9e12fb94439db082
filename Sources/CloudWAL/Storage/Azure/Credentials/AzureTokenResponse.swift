/// Reads the token documents of Entra ID, IMDS and `az account get-access-token`. They disagree
/// on names and types (`expires_in` a number or a string, `expires_on` seconds or absent), so
/// every field is read as text.
enum AzureTokenResponse {
    static func fields(_ body: [UInt8]) -> [String: String]? {
        guard case .object(let members)? = AWSJSON.parse(String(decoding: body, as: UTF8.self)) else { return nil }
        return members.compactMapValues { value in
            switch value {
            case .string(let text), .number(let text): text
            default: nil
            }
        }
    }

    /// The token and its expiry from a parsed document; `now` is the current Unix time.
    static func token(_ fields: [String: String], now: Int) -> AzureAccessToken? {
        guard let token = fields["access_token"] ?? fields["accessToken"], !token.isEmpty else { return nil }
        if let expiresOn = (fields["expires_on"]).flatMap({ Int($0) ?? Double($0).map { Int($0) } }) {
            return AzureAccessToken(token: token, expiresOn: expiresOn)
        }
        if let expiresIn = fields["expires_in"].flatMap({ Int($0) ?? Double($0).map { Int($0) } }) {
            return AzureAccessToken(token: token, expiresOn: now + expiresIn)
        }
        // No expiry given: assume the usual hour, less a margin.
        return AzureAccessToken(token: token, expiresOn: now + 3000)
    }

    /// `error: error_description` of an OAuth error, first line only (never the request's secret).
    static func errorText(_ body: [UInt8], hiding secrets: [String]) -> String {
        let fields = fields(body) ?? [:]
        let code = fields["error"] ?? ""
        let description = (fields["error_description"] ?? fields["message"] ?? "")
            .split(whereSeparator: { $0 == "\r" || $0 == "\n" }).first.map(String.init) ?? ""
        let text = [code, description].filter { !$0.isEmpty }.joined(separator: ": ")
        return AWSErrorText.sanitized(text.isEmpty ? "no error detail" : text, hiding: secrets)
    }
}
