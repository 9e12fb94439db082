import Foundation
import Testing

/// The sidecar image as `scripts/image.sh` builds it (debootstrap base, podman build of the
/// project's Dockerfile around the binary under test), once per suite run.
struct SidecarImage: Sendable {
    let name: String
    let podman: Podman

    /// The image of the enclosing `.sidecarImage` suite trait.
    @TaskLocal static var current: SidecarImage?

    static func shared() throws -> SidecarImage {
        guard let image = current else {
            throw HarnessError("no sidecar image: add the .sidecarImage trait to the suite")
        }
        return image
    }

    /// Runs scripts/image.sh on the binary the other tests use; its last line is the image name.
    /// The base image stays in podman's store between runs (debootstrap then runs only once per
    /// machine); the tag is the tests' own, so a developer's `localhost/cloud-wal` is untouched.
    static func build(podman: Podman) async throws -> SidecarImage {
        let binary = try TestBinary.locate()
        let script = TestBinary.packageRoot() + "/scripts/image.sh"
        let tag = "localhost/cloud-wal-test:latest"
        var environment = podman.environment
        environment["CLOUD_WAL_BIN"] = binary
        environment["CLOUD_WAL_IMAGE"] = tag
        // debootstrap takes 30 s on a quiet machine and about 2 minutes beside a Swift build.
        let result = try await ProcessRunner.check(script, [], environment: environment, timeout: .seconds(600))
        let name = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard name == tag else {
            throw HarnessError("scripts/image.sh printed \(name.isEmpty ? "nothing" : name) last, not \(tag)\n\(lastLines(result.stderr))")
        }
        return SidecarImage(name: name, podman: podman)
    }
}

/// Suite trait: the image is built before the suite's first test and its podman configuration
/// removed after the last; tests reach it through `SidecarImage.shared()`.
struct SidecarImageTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        if SidecarImage.current != nil {
            try await function()
            return
        }
        let podman = try Podman.make()
        defer { podman.remove() }
        let image = try await SidecarImage.build(podman: podman)
        try await SidecarImage.$current.withValue(image) {
            try await function()
        }
    }
}

extension Trait where Self == SidecarImageTrait {
    static var sidecarImage: Self { SidecarImageTrait() }
}
