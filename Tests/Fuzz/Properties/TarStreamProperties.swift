#if canImport(CloudWAL)
import CloudWAL
#endif

/// The streaming tar reader on arbitrary bytes in arbitrary chunkings: it ends (every chunk is
/// consumed or refused), it reads the same members, content and outcome whatever the chunk
/// sizes, and what it hands on is consistent (only regular files carry content, exactly `size`
/// bytes of it; modes fit in 0o7777).
///
/// Random bytes rarely carry a valid header checksum, so each input is also read with the
/// checksum of every block that has a `ustar` magic recomputed: the fuzzer then reaches the
/// member and pax logic behind the checksum instead of stopping at it.
///
/// The same bytes also describe one entry for our writer, whose header must read back intact.
enum TarStreamProperties {
    static func check(_ bytes: [UInt8]) -> [String] {
        var violations = FuzzViolations()
        for (variant, input) in [("as given", bytes), ("checksums fixed", TarFuzzInput.fixingChecksums(bytes))] {
            let whole = TarEventLog.read(input, chunkSizes: [input.count])
            violations.expect(whole.isConsistent, "tar (\(variant)): inconsistent events \(whole.summary)")
            for chunking in TarFuzzInput.chunkings(for: input) {
                let log = TarEventLog.read(input, chunkSizes: chunking.sizes)
                violations.expect(
                    log == whole, "tar (\(variant)): chunks of \(chunking.label) read \(log.summary), whole read \(whole.summary)")
            }
        }
        TarWriterRoundTrip.check(bytes, into: &violations)
        return violations.messages
    }
}

/// Everything a `TarReader` reported for one input, comparable across chunkings.
struct TarEventLog: Equatable {
    enum Event: Equatable {
        case begin(TarMember)
        case content(count: Int, digest: UInt64)
        case end
    }

    var events: [Event] = []
    /// The error that stopped reading, or `finish()`'s verdict on a stream read to its end.
    var outcome = ""
    var entryCount = 0

    static func read(_ bytes: [UInt8], chunkSizes: [Int]) -> TarEventLog {
        let sink = TarRecordingSink()
        var reader = TarReader()
        var log = TarEventLog()
        var offset = 0
        var turn = 0
        do {
            while offset < bytes.count {
                let size = max(1, chunkSizes[turn % chunkSizes.count])
                let end = min(bytes.count, offset + size)
                try bytes[offset..<end].withUnsafeBytes { try reader.feed($0, into: sink) }
                offset = end
                turn += 1
            }
            do {
                try reader.finish()
                log.outcome = "finished"
            } catch {
                log.outcome = "unfinished: \(error)"
            }
        } catch {
            log.outcome = "refused: \(error)"
        }
        sink.flush()
        log.events = sink.events
        log.entryCount = reader.entryCount
        return log
    }

    /// Per member: begin, then content only for a regular file and exactly its size, then end.
    var isConsistent: Bool {
        var open: TarMember?
        var received: Int64 = 0
        var begun = 0
        for event in events {
            switch event {
            case .begin(let member):
                guard open == nil, member.mode <= 0o7777, member.size >= 0 else { return false }
                if member.kind != .file, member.size != 0 { return false }
                open = member
                received = 0
                begun += 1
            case .content(let count, _):
                guard let member = open, member.kind == .file else { return false }
                received += Int64(count)
                if received > member.size { return false }
            case .end:
                guard let member = open, received == member.size else { return false }
                open = nil
            }
        }
        return begun == entryCount
    }

    var summary: String {
        let paths = events.compactMap { event -> String? in
            if case .begin(let member) = event { return FuzzViolations.quote(member.path) }
            return nil
        }
        return "\(entryCount) members [\(paths.prefix(8).joined(separator: ", "))], \(outcome)"
    }
}

/// Records a reader's events; content is folded into a count and an FNV-1a digest per member, so
/// that different chunkings of the same bytes compare equal.
final class TarRecordingSink: TarSink {
    private(set) var events: [TarEventLog.Event] = []
    private var count = 0
    private var digest: UInt64 = 0xcbf2_9ce4_8422_2325

    func begin(_ entry: TarMember) throws {
        flush()
        events.append(.begin(entry))
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        for byte in bytes { digest = (digest ^ UInt64(byte)) &* 0x100_0000_01b3 }
        count += bytes.count
    }

    func end() throws {
        flush()
        events.append(.end)
    }

    /// Emits the content gathered since the last begin or end (a refusal can cut a member short).
    func flush() {
        if count > 0 { events.append(.content(count: count, digest: digest)) }
        count = 0
        digest = 0xcbf2_9ce4_8422_2325
    }
}

/// Ways to present fuzzer bytes to a tar reader.
enum TarFuzzInput {
    static let blockSize = 512

    struct Chunking {
        let label: String
        let sizes: [Int]
    }

    /// Single bytes (for small inputs), a size that never aligns with blocks, and sizes drawn
    /// from the input itself, so the fuzzer also explores where chunks end.
    static func chunkings(for bytes: [UInt8]) -> [Chunking] {
        var result = [Chunking(label: "511", sizes: [511]), Chunking(label: "513/7", sizes: [513, 7])]
        if bytes.count <= 16 << 10 { result.append(Chunking(label: "1", sizes: [1])) }
        var state = bytes.reduce(UInt64(0x9E37_79B9_7F4A_7C15)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        var sizes: [Int] = []
        for _ in 0..<16 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            sizes.append(1 + Int(state >> 33) % 1500)
        }
        result.append(Chunking(label: "drawn \(sizes.prefix(4))...", sizes: sizes))
        return result
    }

    /// Recomputes the checksum of each 512-byte block whose bytes 257..<262 are `ustar`.
    static func fixingChecksums(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        var start = 0
        while start + blockSize <= out.count {
            if out[(start + 257)..<(start + 262)].elementsEqual("ustar".utf8) {
                for index in (start + 148)..<(start + 156) { out[index] = 0x20 }
                let sum = out[start..<(start + blockSize)].reduce(0) { $0 + Int($1) }
                let digits = Array(String(sum, radix: 8).utf8)
                let field = Array(repeating: UInt8(ascii: "0"), count: max(0, 6 - digits.count)) + digits.suffix(6)
                out.replaceSubrange((start + 148)..<(start + 154), with: field)
                out[start + 154] = 0
                out[start + 155] = 0x20
            }
            start += blockSize
        }
        return out
    }
}

/// Our writer's headers read back by our reader: an entry built from the input's bytes (any
/// path without NUL, any mode, owner and time) comes back with the same fields.
enum TarWriterRoundTrip {
    static func check(_ bytes: [UInt8], into violations: inout FuzzViolations) {
        guard bytes.count >= 15 else { return }
        let entry = entry(from: bytes)
        var archive = TarFormat.header(for: entry)
        archive += [UInt8](repeating: 0x61, count: entry.size) + TarFormat.padding(for: entry.size) + TarFormat.trailer
        let log = TarEventLog.read(archive, chunkSizes: [archive.count])
        guard log.outcome == "finished", case .begin(let member)? = log.events.first else {
            violations.expect(false, "writer round trip: \(FuzzViolations.quote(entry.path)) read as \(log.summary)")
            return
        }
        let expectedPath = entry.kind == .directory && !entry.path.hasSuffix("/") ? entry.path + "/" : entry.path
        let expectedKind: TarMember.Kind
        var expectedLink = ""
        switch entry.kind {
        case .file: expectedKind = .file
        case .directory: expectedKind = .directory
        case .symlink(let target):
            expectedKind = .symlink
            expectedLink = target
        }
        let quoted = FuzzViolations.quote(entry.path)
        violations.expect(log.entryCount == 1, "writer round trip: \(quoted) read as \(log.entryCount) members")
        violations.expect(member.path == expectedPath, "writer round trip: path \(quoted) read as \(FuzzViolations.quote(member.path))")
        violations.expect(member.kind == expectedKind, "writer round trip: \(quoted) kind \(member.kind)")
        violations.expect(member.linkTarget == expectedLink, "writer round trip: \(quoted) link \(FuzzViolations.quote(member.linkTarget))")
        violations.expect(member.mode == UInt32(entry.mode & 0o7777), "writer round trip: \(quoted) mode \(member.mode)")
        violations.expect(member.uid == entry.uid && member.gid == entry.gid, "writer round trip: \(quoted) owner \(entry.uid):\(entry.gid) read as \(member.uid):\(member.gid)")
        violations.expect(member.modificationTime == Int64(entry.mtime), "writer round trip: \(quoted) mtime \(entry.mtime) read as \(member.modificationTime)")
        violations.expect(member.size == Int64(entry.size), "writer round trip: \(quoted) size \(entry.size) read as \(member.size)")
    }

    static func entry(from bytes: [UInt8]) -> TarEntry {
        func word(_ offset: Int) -> Int { Int(bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        let rest = Array(bytes.dropFirst(15).filter { $0 != 0 })
        let text = String(decoding: rest.prefix(300), as: UTF8.self)
        let path = text.isEmpty ? "f" : text
        let kind: TarEntry.Kind
        switch bytes[0] % 3 {
        case 0: kind = .file(size: Int(bytes[1]) * 3)
        case 1: kind = .directory
        default: kind = .symlink(target: String(decoding: rest.reversed().prefix(300), as: UTF8.self))
        }
        // Owners as large as uid_t holds (directory services hand out ids in the billions).
        return TarEntry(path: path, kind: kind, mode: word(1) & 0o7777, uid: word(3), gid: word(7), mtime: word(11))
    }
}
