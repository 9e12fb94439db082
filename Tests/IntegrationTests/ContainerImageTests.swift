import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The image users deploy, built here by `scripts/image.sh` (debootstrap base, podman) and run
/// with podman as a pod runs it: a real PostgreSQL 15 on the host (the container's uid, so both
/// read the bind-mounted PGDATA) archives with `wget .../wal-push/%f` and the token, a second
/// cluster recovers through another container's `/wal-fetch`, `podman stop` lets pushes in flight
/// finish, the health check passes and nothing in the container runs as root.
@Suite("Container image (podman)", .serialized, .sidecarImage)
struct ContainerImageTests {
    static let server = "pg1"

    /// The image as built: defaults of the Dockerfile that the compose and Kubernetes examples rely on.
    @Test func imageConfiguration() async throws {
        let image = try SidecarImage.shared()
        let podman = image.podman
        #expect(try await podman.inspect(image.name, "{{.Config.User}}", type: "image") == "999:999")
        #expect(try await podman.inspect(image.name, "{{.Config.StopSignal}}", type: "image") == "SIGTERM")
        let health = try await podman.inspect(image.name, "{{json .Config.Healthcheck.Test}}", type: "image")
        #expect(health.contains("/ping"), "\(health)")
        #expect(try await podman.inspect(image.name, "{{json .Config.Entrypoint}}", type: "image")
                == #"["/usr/local/bin/cloud-wal","serve"]"#)
        let size = try await podman.inspect(image.name, "{{.Size}}", type: "image")
        // The stripped binary is ~90 MB; with Debian's userland (apt, perl, ...) it would be 300.
        #expect((Int(size) ?? .max) < 150_000_000, "image size \(size)")
        print("container image \(image.name): \(size) bytes")
    }

    @Test func postgresArchivesAndRecoversThroughTheContainer() async throws {
        let image = try SidecarImage.shared()
        try await withMotoServer { moto in
            let bucket = try await moto.makeBucket("image")
            let url = "s3://\(bucket)/wal"
            // The archive's settings as a container gets them: CLOUD_WAL_<OPTION> and AWS_*.
            var environment = moto.environment
            environment["CLOUD_WAL_ENDPOINT_URL"] = moto.endpoint
            environment["CLOUD_WAL_ZSTD"] = "true"
            let secrets = try Secrets.make()
            defer { secrets.remove() }
            let socketDirectory = try secrets.directory.subdirectory("socket")
            guard chmod(socketDirectory, 0o700) == 0 else { throw HarnessError("chmod \(socketDirectory) failed") }

            let port = try Network.freeLoopbackPort()
            // WGETRC keeps the token out of the command line (and so out of /proc and ps).
            let primary = try await PostgresCluster.initialize(settings: [
                "archive_mode": "on",
                "archive_command": "WGETRC=\(secrets.wgetrc) wget -q --tries=1 -O /dev/null http://127.0.0.1:\(port)/wal-push/%f",
            ])
            try await withCleanup(of: primary) { primary in
                try await withSidecarContainer(
                    image: image, port: port, dataDirectory: primary.dataDir, tokenFile: secrets.tokenFile,
                    // The image's default socket, on a volume as in the compose example.
                    mounts: [.init(host: socketDirectory, container: "/run/cloud-wal")],
                    environment: environment, arguments: [url, Self.server]
                ) { sidecar in
                    try await checkRunningContainer(sidecar, image: image, socketDirectory: socketDirectory)

                    try await primary.start()
                    try await primary.waitForArchiver(upTo: try await primary.switchWAL(), timeout: .seconds(60))
                    let backupDir = try await primary.scratchDirectory("backups") + "/base"
                    try await primary.basebackup(to: backupDir, walMethod: .none)
                    try await primary.pgbenchInit(scale: 2)
                    try await primary.pgbench(transactions: 200, clients: 2)
                    let last = try await primary.switchWAL()
                    let stats = try await primary.waitForArchiver(upTo: last, timeout: .seconds(120))
                    #expect(stats.failedCount == 0)
                    let keys = try await moto.keys(bucket: bucket, prefix: "wal/\(Self.server)/wals/")
                    #expect(keys.contains { $0.contains(last) && $0.hasSuffix(".zst") }, "\(keys.suffix(3))")
                    let accounts = try await primary.psql("select count(*), sum(abalance) from pgbench_accounts")
                    let history = try await primary.psql("select count(*) from pgbench_history")
                    #expect(history == "400")

                    let status = try await sidecar.processStatus()
                    print("sidecar in the container after \(stats.archivedCount) pushes: VmRSS \(status["VmRSS"] ?? "?"), VmHWM \(status["VmHWM"] ?? "?")")

                    // Recovery from a backup without WAL: every segment through a second container.
                    let fetchPort = try Network.freeLoopbackPort()
                    let restoreCommand = "curl -fsS -o /dev/null -H @\(secrets.headerFile) "
                        + "\"http://127.0.0.1:\(fetchPort)/wal-fetch/%f?dest=%p\""
                    var fetcher: SidecarContainer?
                    do {
                        let replica = try await PostgresCluster.recover(
                            fromBackup: backupDir, restoreCommand: restoreCommand, timeout: .seconds(180)
                        ) { dataDir in
                            fetcher = try await SidecarContainer.start(
                                image: image, port: fetchPort, dataDirectory: dataDir, tokenFile: secrets.tokenFile,
                                mounts: [.init(host: try secrets.directory.subdirectory("socket-fetch"), container: "/run/cloud-wal")],
                                environment: environment, arguments: [url, Self.server])
                        }
                        try await withCleanup(of: replica) { replica in
                            let replicaAccounts = try await replica.psql("select count(*), sum(abalance) from pgbench_accounts")
                            let replicaHistory = try await replica.psql("select count(*) from pgbench_history")
                            #expect(replicaAccounts == accounts)
                            #expect(replicaHistory == history)
                        }
                        let metrics = try await fetcher?.get("/metrics", token: secrets.token).text ?? ""
                        #expect(metrics.contains("cloud_wal_requests_total{operation=\"wal_fetch\",result=\"restored\"}"))
                        await fetcher?.remove()
                    } catch {
                        let log = await fetcher?.logs() ?? "(not started)"
                        await fetcher?.remove()
                        throw HarnessError("\(error)\n--- fetch container log ---\n\(lastLines(log))")
                    }
                }
            }
        }
    }

    /// What the running container shows from outside: healthy, not root, the socket private.
    private func checkRunningContainer(_ sidecar: SidecarContainer, image: SidecarImage, socketDirectory: String) async throws {
        let health = try await image.podman.run(["healthcheck", "run", sidecar.name], timeout: .seconds(60))
        #expect(health.status == 0, "podman healthcheck run: \(health.stdout) \(health.stderr)")
        let status = try await sidecar.processStatus()
        let account = ServerAccount.current
        // Real, effective, saved and file-system ids.
        let uids = (status["Uid"] ?? "").split(whereSeparator: \.isWhitespace).map { String($0) }
        #expect(uids.count == 4 && uids.allSatisfy { $0 == String(account.uid) && $0 != "0" }, "Uid: \(uids)")
        let gids = (status["Gid"] ?? "").split(whereSeparator: \.isWhitespace).map { String($0) }
        #expect(gids.count == 4 && gids.allSatisfy { $0 == String(account.gid) && $0 != "0" }, "Gid: \(gids)")
        #expect(status["CapEff"] == "0000000000000000", "effective capabilities \(status["CapEff"] ?? "?")")
        // The image's default socket reached the shared volume: 0600, PostgreSQL's uid.
        var info = stat()
        #expect(lstat(socketDirectory + "/sock", &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(info.st_uid == account.uid)
        let overSocket = try await RawHTTP.request(.unix(socketDirectory + "/sock"), target: "/status")
        #expect(overSocket.status == 200, "no token over the socket: \(overSocket.text)")
        // Over TCP, the token is required.
        #expect(try await sidecar.get("/status", token: nil).status == 401)
    }

    /// `podman stop` sends the image's STOPSIGNAL; uploads in progress must end archived and
    /// answered 200, and the process exit 0 before podman's grace ends (no SIGKILL: 137).
    @Test func podmanStopLetsPushesInFlightFinish() async throws {
        let image = try SidecarImage.shared()
        let root = try TempDirectory.make(prefix: "cloudwal-image-stop")
        defer { root.remove() }
        let data = try root.subdirectory("data")
        let wal = try root.subdirectory("data/pg_wal")
        let archive = try root.subdirectory("archive")
        let secrets = try Secrets.make()
        defer { secrets.remove() }
        // xz over random 4 MiB takes seconds per segment: still running at SIGTERM.
        let names = (1...4).map { "00000001000000000000000\($0)" }
        guard let random = FileHandle(forReadingAtPath: "/dev/urandom") else { throw HarnessError("cannot open /dev/urandom") }
        defer { try? random.close() }
        for name in names {
            guard let bytes = try random.read(upToCount: 4 << 20), bytes.count == 4 << 20 else {
                throw HarnessError("short read from /dev/urandom")
            }
            try WALSegmentHeader.stamped(bytes, as: name).write(to: URL(fileURLWithPath: wal + "/" + name))
            try ServerAccount.current.own(wal + "/" + name)
        }
        let port = try Network.freeLoopbackPort()
        let sidecar = try await SidecarContainer.start(
            image: image, port: port, dataDirectory: data, tokenFile: secrets.tokenFile,
            mounts: [.init(host: archive, container: "/archive"),
                     .init(host: try secrets.directory.subdirectory("socket"), container: "/run/cloud-wal")],
            environment: ["CLOUD_WAL_XZ": "true"], arguments: ["file:///archive", Self.server])
        do {
            let token = secrets.token
            let (replies, stop) = try await withThrowingTaskGroup(of: Int.self) { group in
                for name in names { group.addTask { try await sidecar.get("/wal-push/\(name)", token: token).status } }
                _ = try await waitUntil(timeout: .seconds(60), interval: .milliseconds(20), "four pushes in flight") {
                    let status = try? await sidecar.get("/status", token: token).text
                    return names.allSatisfy { status?.contains("\"\($0)\"") == true } ? true : nil
                }
                let stop = try await sidecar.stop(grace: 120)
                return (try await group.reduce(into: [Int]()) { $0.append($1) }, stop)
            }
            #expect(stop.succeeded, "podman stop: \(stop.stderr)")
            #expect(replies == [200, 200, 200, 200], "in-flight pushes must be answered, not dropped")
            #expect(try await sidecar.exitCode() == 0, "graceful exit, not SIGKILL")
            let objects = (FileManager.default.enumerator(atPath: archive + "/" + Self.server + "/wals")?
                .compactMap { $0 as? String } ?? [])
                .filter { ($0 as NSString).lastPathComponent.hasSuffix(".xz") }
            #expect(objects.count == 4, "\(objects)")
            let log = await sidecar.logs()
            #expect(log.contains("cloud-wal serve stopped"), "\(lastLines(log))")
            await sidecar.remove()
        } catch {
            let log = await sidecar.logs()
            await sidecar.remove()
            throw HarnessError("\(error)\n--- container log ---\n\(lastLines(log))")
        }
    }
}

/// The token, and the files the container and PostgreSQL read it from (0600, PostgreSQL's uid):
/// the sidecar's token file, curl's header file and wget's wgetrc.
private struct Secrets {
    let directory: TempDirectory
    let token: String
    var tokenFile: String { directory.path + "/token" }
    var headerFile: String { directory.path + "/header" }
    var wgetrc: String { directory.path + "/wgetrc" }

    static func make() throws -> Secrets {
        let secrets = Secrets(directory: try TempDirectory.make(prefix: "cloudwal-image-secrets"),
                              token: SidecarProcess.makeToken())
        try secrets.write(secrets.tokenFile, secrets.token + "\n")
        try secrets.write(secrets.headerFile, "Authorization: Bearer \(secrets.token)\n")
        try secrets.write(secrets.wgetrc, "header = Authorization: Bearer \(secrets.token)\n")
        return secrets
    }

    private func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try ServerAccount.current.own(path)
    }

    func remove() { directory.remove() }
}
