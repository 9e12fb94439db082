/// One tar object on its way to the store: tar bytes in, compressed, encrypted when the backup is
/// (the tar bytes' SHA-256 and size then travel in the encrypted trailer, never in metadata), cut
/// into fixed-size parts, up to `jobs` parts uploading at once. Memory stays near
/// `(jobs + 1) × partSize` whatever the object's size. Used from one task; not shared.
public final class TarObjectWriter {
    /// What the manifest records of a finished object.
    public struct Result: Sendable, Equatable {
        public let key: String
        public let storedBytes: Int
        public let tarBytes: Int
        public let sha256: String
    }

    let key: String
    private let upload: any ObjectUpload
    private let compressor: (any StreamingCompressor)?
    /// Seals what the codec produced; nil for a plain backup. Taken out while it works (see `seal`).
    private var encryptor: StreamEncryptor?
    /// The codec's output on its way to `encryptor`, reused.
    private var compressed: [UInt8] = []
    private let partSize: Int
    private let jobs: Int
    private var buffer: [UInt8] = []
    private var partCount = 0
    private var inFlight: [Task<Void, any Error>] = []
    private var digest = ContentDigest()
    private(set) var tarBytes = 0
    private(set) var storedBytes = 0

    init(
        store: any ObjectStore, key: String, compression: Compression?, level: CompressionLevel, partSize: Int,
        jobs: Int, options: PutOptions, encryption: (keys: any ObjectKeyProvider, identity: String)? = nil
    ) async throws {
        self.key = key
        self.partSize = partSize
        self.jobs = max(1, jobs)
        compressor = try compression?.makeCompressor(level: level)
        upload = try await store.beginUpload(key, partSize: partSize, options: options)
        buffer.reserveCapacity(bufferCapacity)
        // The header goes first into the buffer, so it leads the object's first part.
        if let encryption {
            do {
                encryptor = try await EncryptingStream.start(identity: encryption.identity, keys: encryption.keys, into: &buffer)
            } catch {
                await upload.abort()
                throw error
            }
        }
    }

    /// A part plus room for one write's output past it (a 1 MiB read, or what a codec makes of
    /// it), so the buffer never regrows: a regrown array doubles, and each part in flight would
    /// then hold twice its size.
    private var bufferCapacity: Int { partSize + (2 << 20) }

    /// Compressed bytes produced so far, whether sent or still buffered: what `--max-archive-size` bounds.
    var producedBytes: Int { storedBytes + buffer.count }

    /// Takes tar bytes in (hashed, compressed, buffered); `flush` then sends any full parts.
    /// Two steps because a buffer pointer cannot cross a suspension point.
    func ingest(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        digest.update(bytes)
        tarBytes += bytes.count
        if let compressor {
            if encryptor == nil {
                try compressor.compress(bytes, into: &buffer)
            } else {
                compressed.removeAll(keepingCapacity: true)
                try compressor.compress(bytes, into: &compressed)
                try compressed.withUnsafeBytes { try seal($0) }
            }
        } else if encryptor != nil {
            try seal(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Encrypts into the buffer. The encryptor is moved out of its property while it works, so
    /// its pending chunk is never copied on write.
    private func seal(_ bytes: UnsafeRawBufferPointer) throws {
        guard var sealing = encryptor else { return }
        encryptor = nil
        defer { encryptor = sealing }
        try sealing.update(bytes, into: &buffer)
    }

    func flush() async throws {
        try await flushFullParts()
    }

    func write(_ bytes: [UInt8]) async throws {
        try bytes.withUnsafeBytes { try ingest($0) }
        try await flushFullParts()
    }

    /// Ends the stream: the codec's trailer, the last part, then the object made visible.
    func finish() async throws -> Result {
        let sha256 = digest.finalize()
        if var sealing = encryptor {
            encryptor = nil
            if let compressor {
                compressed.removeAll(keepingCapacity: true)
                try compressor.finish(into: &compressed)
                try compressed.withUnsafeBytes { try sealing.update($0, into: &buffer) }
            }
            guard let trailer = ContentTrailer(sha256Hex: sha256, size: tarBytes) else {
                throw BackupError(.localIO, "Cannot record the content of \(key)")
            }
            try sealing.finish(trailer: trailer, into: &buffer)
        } else if let compressor {
            try compressor.finish(into: &buffer)
        }
        try await flushFullParts()
        if !buffer.isEmpty || partCount == 0 { try await send(buffer) }
        buffer = []
        try await drain()
        let outcome = try await upload.complete(partCount: partCount)
        guard outcome == .created else {
            throw BackupError(.refused, "\(key) already exists in the archive; a backup never replaces an object")
        }
        return Result(key: key, storedBytes: storedBytes, tarBytes: tarBytes, sha256: sha256)
    }

    func abort() async {
        for task in inFlight { task.cancel() }
        for task in inFlight { _ = try? await task.value }
        inFlight = []
        await upload.abort()
    }

    private func flushFullParts() async throws {
        while buffer.count >= partSize {
            // Hand the buffer itself over as the part and keep only its tail: no copy of the
            // part's bytes (parts are tens of MiB; the tail is at most one codec output).
            var part = [UInt8]()
            swap(&part, &buffer)
            buffer.reserveCapacity(bufferCapacity)
            buffer.append(contentsOf: part[partSize...])
            part.removeLast(part.count - partSize)
            try await send(part)
        }
    }

    /// Starts a part's upload, first waiting for the oldest when `jobs` are already running.
    private func send(_ part: [UInt8]) async throws {
        if inFlight.count >= jobs {
            let oldest = inFlight.removeFirst()
            try await oldest.value
        }
        partCount += 1
        storedBytes += part.count
        let number = partCount
        let upload = self.upload
        inFlight.append(Task { try await upload.uploadPart(number, bytes: part) })
    }

    private func drain() async throws {
        while !inFlight.isEmpty {
            let task = inFlight.removeFirst()
            try await task.value
        }
    }
}
