import Foundation

/// Rootful podman as the container tests drive it, configured like `scripts/image.sh` does:
/// runc (crun fails on these machines), cgroupfs (no systemd), no default ulimits (the sandbox
/// refuses to raise RLIMIT_NOFILE). The configuration lives in a file of its own, passed as
/// `CONTAINERS_CONF`, so nothing of the machine's podman setup is changed.
struct Podman: Sendable {
    let directory: TempDirectory
    var configuration: String { directory.path + "/containers.conf" }
    var environment: [String: String] { ["CONTAINERS_CONF": configuration] }

    static let executable = "/usr/bin/podman"

    static func make() throws -> Podman {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw HarnessError("podman not found at \(executable) (run scripts/install-deps.sh)")
        }
        let directory = try TempDirectory.make(prefix: "cloudwal-podman", ownedByServer: false)
        let podman = Podman(directory: directory)
        var text = "[containers]\ndefault_ulimits = []\n[engine]\n"
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/runc") || FileManager.default.isExecutableFile(atPath: "/usr/sbin/runc") {
            text += "runtime = \"runc\"\n"
        }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: "/run/systemd/system", isDirectory: &isDirectory) {
            text += "cgroup_manager = \"cgroupfs\"\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: podman.configuration))
        return podman
    }

    func run(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> ProcessResult {
        try await ProcessRunner.run(Self.executable, arguments, environment: environment, timeout: timeout)
    }

    /// `run`, throwing with the command's output unless it exits 0.
    @discardableResult
    func check(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> ProcessResult {
        try await ProcessRunner.check(Self.executable, arguments, environment: environment, timeout: timeout)
    }

    /// `podman inspect --format FORMAT NAME`, trimmed.
    func inspect(_ name: String, _ format: String, type: String = "container") async throws -> String {
        try await check(["inspect", "--type", type, "--format", format, name])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func remove() { directory.remove() }
}
