#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// libFuzzer's entry points. `scripts/fuzz.sh` compiles this file with the property checks and
// the parsers' sources into one binary; FUZZ_TARGET picks the target (its name in
// `FuzzTarget.all`). A broken property aborts, so libFuzzer saves the input as a crash.

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if let directory = getenv("FUZZ_WRITER_SEEDS").map({ String(cString: $0) }) {
        exit(WriterSeeds.write(to: directory) ? 0 : 1)
    }
    guard let name = getenv("FUZZ_TARGET").map({ String(cString: $0) }), FuzzTarget.named(name) != nil else {
        let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
        fputs("FUZZ_TARGET must name one of: \(names)\n", stderr)
        exit(2)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // Looked up per input (a few string compares) rather than cached: no global mutable state.
    guard let name = getenv("FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget.named(name) else {
        return 0
    }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let violations = target.check(bytes)
    if !violations.isEmpty {
        fputs("property broken (\(name)):\n  " + violations.joined(separator: "\n  ") + "\n", stderr)
        abort()
    }
    return 0
}
