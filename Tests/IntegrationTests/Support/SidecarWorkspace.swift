/// What the sidecar tests that use a UNIX socket start from: the binary, a sidecar fixture
/// (PGDATA and a file:// archive), and a directory for the socket (0755 from TempDirectory; the
/// socket's own mode is what guards it). `remove()` undoes all three.
struct SidecarWorkspace {
    let binary: TestBinary
    let fixture: SidecarSafetyTests.Fixture
    let sockets: TempDirectory

    init() throws {
        binary = try TestBinary.prepare()
        do {
            fixture = try SidecarSafetyTests.Fixture()
        } catch {
            binary.cleanup()
            throw error
        }
        do {
            sockets = try TempDirectory.make(prefix: "cloudwal-sock")
        } catch {
            fixture.remove()
            binary.cleanup()
            throw error
        }
    }

    func remove() {
        sockets.remove()
        fixture.remove()
        binary.cleanup()
    }
}
