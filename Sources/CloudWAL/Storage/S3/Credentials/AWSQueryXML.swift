/// Reads the few fields STS answers with (`<AccessKeyId>`, `<Error><Code>`, ...) out of its XML.
///
/// Not an XML parser: the responses are small, flat where it matters and the tag names unique,
/// so the first `<Name>…</Name>` is the field.
enum AWSQueryXML {
    /// The decoded text of the first `<tag>` element, "" for `<tag/>`, nil when absent.
    static func firstValue(of tag: String, in xml: String) -> String? {
        var searchFrom = xml.startIndex
        while let open = xml[searchFrom...].firstRange(of: "<" + tag) {
            guard open.upperBound < xml.endIndex else { return nil }
            let next = xml[open.upperBound]
            // `<Code` must not match `<CodeName>`.
            guard next == ">" || next == "/" || next == " " || next == "\t" || next == "\n" || next == "\r" else {
                searchFrom = open.upperBound
                continue
            }
            guard let endOfOpen = xml[open.upperBound...].firstIndex(of: ">") else { return nil }
            if xml[xml.index(before: endOfOpen)] == "/" { return "" }
            let contentStart = xml.index(after: endOfOpen)
            guard let close = xml[contentStart...].firstRange(of: "</" + tag + ">") else { return nil }
            return decodeEntities(xml[contentStart..<close.lowerBound])
        }
        return nil
    }

    /// Replaces the five named entities and numeric character references.
    static func decodeEntities(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semicolon) <= 10 else {
                out += "&"
                rest = rest[rest.index(after: amp)...]
                continue
            }
            let entity = rest[rest.index(after: amp)..<semicolon]
            var replacement: String?
            switch entity {
            case "amp": replacement = "&"
            case "lt": replacement = "<"
            case "gt": replacement = ">"
            case "quot": replacement = "\""
            case "apos": replacement = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    replacement = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
                } else if entity.hasPrefix("#") {
                    replacement = UInt32(entity.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init).map { String($0) }
                }
            }
            if let replacement {
                out += replacement
                rest = rest[rest.index(after: semicolon)...]
            } else {
                out += "&"
                rest = rest[rest.index(after: amp)...]
            }
        }
        return out + rest
    }
}
