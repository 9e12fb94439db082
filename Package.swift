// swift-tools-version:6.1
import PackageDescription

// C codecs come from Debian's -dev packages (scripts/install-deps.sh installs them); each is a
// system-library target so the binary links the distribution's tuned library, not a vendored copy.
let package = Package(
    name: "cloud-wal",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cloud-wal", targets: ["cloud-wal"]),
        .library(name: "CloudWAL", targets: ["CloudWAL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.24.0"),
        // Base backups talk to PostgreSQL (pg_backup_start/stop in one session) without libpq.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.21.0"),
        // The sidecar (`cloud-wal serve`): HTTP routes and graceful SIGTERM shutdown. No default
        // traits: without FullFoundation (and ConfigurationSupport) Hummingbird needs only
        // FoundationEssentials, so the one binary that also runs per WAL segment stays lean
        // (tools 6.1 is the first to take `traits:`).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        // Already in the graph through Hummingbird; named so the sidecar's connection limits
        // (small channel handlers around Hummingbird's HTTP/1 channel) can use them.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.20.0"),
        // Property-based tests (generated inputs, shrinking) for the sidecar's request parsing.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
        .systemLibrary(name: "CLZMA", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CSnappy", providers: [.apt(["libsnappy-dev"])]),
        .target(
            name: "CloudWAL",
            dependencies: [
                "CZlib", "CBzip2", "CLZMA", "CZstd", "CLZ4", "CSnappy",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                // RSA (RS256) for Google service-account JWTs.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(
            name: "CloudWALServer",
            dependencies: [
                "CloudWAL",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // One C call (mallopt) that Swift's Glibc module does not export.
        .target(name: "CMallocTuning"),
        // The overall deadline of a command: SIGALRM with an async-signal-safe handler.
        .target(name: "CDeadline"),
        .executableTarget(
            name: "cloud-wal",
            dependencies: [
                "CloudWAL", "CMallocTuning", "CDeadline", "CloudWALServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "CloudWALTests",
            dependencies: [
                "CloudWAL", .product(name: "Logging", package: "swift-log"),
                // Verifies the RS256 signatures of Google service-account JWTs.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "CloudWALServerTests",
            dependencies: [
                "CloudWALServer", "CloudWAL",
                .product(name: "Hummingbird", package: "hummingbird"),
                // Drives the routes in process, without sockets.
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        // Property checks for the parsers, replaying the committed fuzz corpus (Tests/Fuzz/corpus);
        // scripts/fuzz.sh compiles the same Properties with libFuzzer, so Harness is not built here.
        .testTarget(
            name: "FuzzTests",
            dependencies: ["CloudWAL", .product(name: "Logging", package: "swift-log")],
            path: "Tests/Fuzz",
            exclude: ["corpus", "Harness"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["CloudWAL", "CloudWALServer", .product(name: "Logging", package: "swift-log")],
            // Python test servers (the Azure Blob fake), run by the tests, not compiled.
            exclude: ["Fakes"]
        ),
    ]
)
