/// Just enough XML for S3's responses (ListObjectsV2, errors, multipart): elements found by
/// name, text with the five predefined entities and numeric references decoded. S3's documents
/// are flat and machine-written, so a scanner is safer and far lighter than a general parser.
public struct S3XML: Sendable {
    private let text: Substring

    public init(_ bytes: [UInt8]) {
        text = Substring(String(decoding: bytes, as: UTF8.self))
    }

    init(_ text: Substring) {
        self.text = text
    }

    /// Every `<name>...</name>` element's inner content, in document order.
    public func elements(_ name: String) -> [S3XML] {
        var found: [S3XML] = []
        var rest = text[...]
        let open = "<\(name)>"
        let close = "</\(name)>"
        while let start = rest.firstRange(of: open) {
            let afterOpen = rest[start.upperBound...]
            guard let end = afterOpen.firstRange(of: close) else { break }
            found.append(S3XML(afterOpen[..<end.lowerBound]))
            rest = afterOpen[end.upperBound...]
        }
        return found
    }

    /// The decoded text of the first `<name>` element, if any.
    public func value(_ name: String) -> String? {
        elements(name).first.map { Self.decodeEntities($0.text) }
    }

    static func decodeEntities(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else {
                out += rest[amp...]
                return out
            }
            let entity = rest[rest.index(after: amp)..<semicolon]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let scalar: Unicode.Scalar?
                if entity.hasPrefix("#x") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init)
                } else {
                    scalar = nil
                }
                if let scalar { out.unicodeScalars.append(scalar) } else { out += rest[amp...semicolon] }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }

    /// Escapes text for an XML body we send (multipart completion).
    static func escape(_ text: String) -> String {
        var out = ""
        for char in text {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(char)
            }
        }
        return out
    }
}
