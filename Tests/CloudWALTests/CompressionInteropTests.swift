import CloudWAL
import Foundation
import Testing

/// Thrown, never skipped, when the interop environment is missing: a silent skip would let a
/// codec incompatible with barman-cloud pass CI.
struct InteropSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Interop with the Python modules barman-cloud itself uses: objects we write must restore with
/// barman-cloud, and objects barman-cloud wrote must restore with us.
@Suite("Compression interop with Python (barman-cloud's codecs)")
struct CompressionInteropTests {
    /// CLOUD_WAL_PYTHON wins; otherwise the venv scripts/install-deps.sh creates at the package root.
    static var python: String {
        if let path = ProcessInfo.processInfo.environment["CLOUD_WAL_PYTHON"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".venv-test/bin/python").path
    }

    static let setupHint = "run scripts/install-deps.sh (it creates .venv-test with zstandard, lz4, python-snappy and cramjam) or set CLOUD_WAL_PYTHON"

    /// The fixed input: several snappy chunks and lz4 blocks, WAL-like and text-like parts.
    static let input = CodecTestData.wal(count: 200_000, seed: 11) + CodecTestData.text(count: 100_000, seed: 12)

    /// Runs `script` with the test interpreter; a missing interpreter or module fails the test.
    static func runPython(_ script: String, arguments: [String]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw InteropSetupError("Python interpreter \(python) not found: \(setupHint)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script] + arguments
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errText = String(decoding: err, as: UTF8.self)
        if errText.contains("ModuleNotFoundError") || errText.contains("ImportError") {
            throw InteropSetupError("Python module missing for \(python): \(setupHint)\n\(errText)")
        }
        guard process.terminationStatus == 0 else {
            throw InteropSetupError("Python failed (\(process.terminationStatus)):\n\(errText)")
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("cloud-wal-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Decodes `<dir>/<codec>` the way barman-cloud's restore side does and writes `<codec>.out`.
    static let decodeScript = #"""
    import bz2, gzip, io, lzma, sys, os
    import zstandard, lz4.frame, snappy
    d = sys.argv[1]
    def rd(name):
        with open(os.path.join(d, name), "rb") as f:
            return f.read()
    def wr(name, data):
        with open(os.path.join(d, name + ".out"), "wb") as f:
            f.write(data)
    with gzip.GzipFile(fileobj=io.BytesIO(rd("gzip")), mode="rb") as g:
        wr("gzip", g.read())
    wr("bzip2", bz2.decompress(rd("bzip2")))
    wr("xz", lzma.decompress(rd("xz")))
    out = io.BytesIO()
    zstandard.ZstdDecompressor().copy_stream(io.BytesIO(rd("zstd")), out)
    wr("zstd", out.getvalue())
    wr("lz4", lz4.frame.decompress(rd("lz4")))
    out = io.BytesIO()
    snappy.stream_decompress(io.BytesIO(rd("snappy")), out)
    wr("snappy", out.getvalue())
    print("ok")
    """#

    /// Encodes `<dir>/input` the way barman-cloud's archive side does, one file per codec.
    static let encodeScript = #"""
    import bz2, gzip, io, lzma, sys, os
    import zstandard, lz4.frame, snappy, cramjam
    d = sys.argv[1]
    with open(os.path.join(d, "input"), "rb") as f:
        data = f.read()
    def wr(name, blob):
        with open(os.path.join(d, name), "wb") as f:
            f.write(blob)
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=6) as g:
        g.write(data)
    wr("gzip", buf.getvalue())
    wr("bzip2", bz2.compress(data))
    wr("xz", lzma.compress(data))
    out = io.BytesIO()
    zstandard.ZstdCompressor().copy_stream(io.BytesIO(data), out)
    wr("zstd", out.getvalue())
    wr("lz4", lz4.frame.compress(data))
    out = io.BytesIO()
    snappy.stream_compress(io.BytesIO(data), out)
    wr("snappy", out.getvalue())
    wr("snappy-cramjam", bytes(cramjam.snappy.compress(data)))
    print("ok")
    """#

    @Test("Python decodes what we write")
    func pythonReadsOurs() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for codec in Compression.allCases {
            // Sliced writes, as the archiver streams a segment.
            let (compressed, _) = try streamRoundTrip(Self.input, codec, level: .medium, slice: 65537)
            try Data(compressed).write(to: dir.appendingPathComponent(codec.rawValue))
        }
        let result = try Self.runPython(Self.decodeScript, arguments: [dir.path])
        #expect(result.contains("ok"))
        for codec in Compression.allCases {
            let decoded = try Data(contentsOf: dir.appendingPathComponent(codec.rawValue + ".out"))
            #expect(Array(decoded) == Self.input, "\(codec): Python decoded different bytes")
        }
    }

    @Test("We decode what barman-cloud's Python codecs write")
    func weReadPythons() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(Self.input).write(to: dir.appendingPathComponent("input"))
        let result = try Self.runPython(Self.encodeScript, arguments: [dir.path])
        #expect(result.contains("ok"))
        let files: [(String, Compression)] = Compression.allCases.map { ($0.rawValue, $0) }
            + [("snappy-cramjam", .snappy)]
        for (name, codec) in files {
            let compressed = Array(try Data(contentsOf: dir.appendingPathComponent(name)))
            #expect(try Compression.decompress(compressed, with: codec) == Self.input, "\(name)")
            #expect(try streamDecompress(compressed, codec, slice: 4093) == Self.input, "\(name) sliced")
        }
    }
}
