#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FileSystemOps {
    /// The running binary, absolute: PostgreSQL runs a written `restore_command` with its own
    /// PATH and working directory, so a bare or relative name would not find us.
    public static func runningExecutablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if count > 0 {
            return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let argv0 = CommandLine.arguments.first ?? ""
        guard argv0.hasPrefix("/") else {
            throw BackupError(.invalidInput, "Cannot find the path of the running binary for restore_command")
        }
        return argv0
    }
}
