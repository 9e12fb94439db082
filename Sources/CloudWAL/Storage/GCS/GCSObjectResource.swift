/// The fields of a JSON API object resource the store uses.
struct GCSObjectResource: Sendable {
    let name: String
    let size: Int
    let generation: String?
    let metadata: [String: String]

    init?(_ value: JSONValue?) {
        guard let value, let name = value["name"]?.stringValue else { return nil }
        self.name = name
        size = value["size"]?.intValue ?? 0
        generation = value["generation"]?.stringValue ?? value["generation"]?.intValue.map(String.init)
        metadata = value["metadata"]?.stringMembers ?? [:]
    }

    init?(_ body: [UInt8]) {
        self.init(JSONValue.parse(String(decoding: body, as: UTF8.self)))
    }

    var info: ObjectInfo { ObjectInfo(key: name, size: size, metadata: metadata) }
}

/// What an object write tells Google besides its bytes: the JSON part of a multipart upload and
/// the body that starts a resumable one.
struct GCSUploadMetadata: Sendable {
    let name: String
    let metadata: [String: String]
    let crc32c: UInt32
    let md5: [UInt8]?

    /// barman-cloud stores tags as blob metadata, so tags go there too; our own metadata
    /// (`cloudwal-*`) wins over a tag of the same name.
    init(name: String, options: PutOptions, crc32c: UInt32, md5: [UInt8]?) {
        self.name = name
        var merged: [String: String] = [:]
        for tag in options.tags { merged[tag.key] = tag.value }
        merged.merge(options.metadata) { _, own in own }
        metadata = merged
        self.crc32c = crc32c
        self.md5 = md5
    }

    /// Google checks both hashes against the bytes it received and refuses a mismatch.
    var json: String {
        var members: [String: JSONValue] = [
            "name": .string(name),
            "crc32c": .string(Base64.encode(Self.bigEndian(crc32c))),
        ]
        if !metadata.isEmpty { members["metadata"] = .object(metadata.mapValues(JSONValue.string)) }
        if let md5 { members["md5Hash"] = .string(Base64.encode(md5)) }
        return JSONValue.object(members).serialized
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
