import ArgumentParser
import CloudWAL
import CDeadline
import CMallocTuning

#if canImport(Glibc)
import Glibc
#endif

/// Entry point. The binary answers to its link names (`cloud-wal-archive`,
/// `barman-cloud-wal-archive`, ...) so it drops into `archive_command` in barman-cloud's place.
/// Parsing and exit statuses are handled here rather than by ArgumentParser's `main()`, because
/// barman-cloud's contract is exit 3 for bad input where ArgumentParser would use 64.

// Buffers of a MiB or more (WAL segments, backup parts) come straight from mmap and go back to
// the kernel when freed. glibc would otherwise raise its threshold after the first such free and
// carve later ones from the heap, where fragmentation keeps a long backup's RSS at several times
// what it holds (measured: 157 MiB against about 50 MiB live).
cloudwal_use_mmap_above(1 << 20)

let arguments = Array(CommandLine.arguments.dropFirst())
let invokedAs = FileSystemOps.baseName(of: CommandLine.arguments.first ?? "cloud-wal")

/// The subcommand a link name stands for, if the binary was invoked through one.
func linkedCommand(_ name: String) -> (any CloudCommand.Type)? {
    for prefix in ["barman-cloud-", "cloud-"] where name.hasPrefix(prefix) {
        let commandName = String(name.dropFirst(prefix.count))
        if let command = CloudWALCommand.commands.first(where: { $0.configuration.commandName == commandName }) {
            return command
        }
    }
    return nil
}

func writeStandardError(_ text: String) {
    var bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
    bytes.withUnsafeMutableBytes { _ = write(2, $0.baseAddress, $0.count) }
}

let linked = linkedCommand(invokedAs)
// -V/--version before parsing, as barman-cloud prints it even without the required arguments.
if arguments.prefix(while: { $0 != "--" }).contains(where: { $0 == "-V" || $0 == "--version" }) {
    print("\(invokedAs) \(Version.string)")
    exit(0)
}

let root: any AsyncParsableCommand.Type = linked ?? CloudWALCommand.self

/// Parsing: ArgumentParser's outcomes (help, usage errors) and our own validation of arguments.
func parseCommand() -> any ParsableCommand {
    do {
        // `serve` also reads its options from CLOUD_WAL_<OPTION> variables (a container's way).
        var commandArguments = arguments
        if linked == ServeCommand.self {
            commandArguments = try ServeCommand.arguments(arguments, environment: .current())
        } else if linked == nil, arguments.first == "serve" {
            commandArguments = ["serve"] + (try ServeCommand.arguments(Array(arguments.dropFirst()), environment: .current()))
        }
        return try root.parseAsRoot(commandArguments)
    } catch {
        exitForParserOutcome(error)
    }
}

/// Help, usage errors and failed validation: help exits 0, every refusal 3 (barman-cloud's
/// contract, where ArgumentParser would use 64).
func exitForParserOutcome(_ error: any Error) -> Never {
    let status = root.exitCode(for: error)
    if status == .success {
        print(withInvokedName(root.fullMessage(for: error)))
        exit(0)
    }
    let message = root.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
    writeStandardError("\(invokedAs): \(message)")
    exit(status == .validationFailure ? ExitStatusPolicy.inputError : status.rawValue)
}

/// The help with the name the binary was invoked by in its usage line (`barman-cloud-backup`,
/// `cloud-wal-archive`, ...), as barman-cloud's argparse shows the program's own name.
func withInvokedName(_ help: String) -> String {
    let usage = "USAGE: " + (root.configuration.commandName ?? "cloud-wal")
    guard let range = help.firstRange(of: usage) else { return help }
    var text = help
    text.replaceSubrange(range, with: "USAGE: " + invokedAs)
    return text
}

let command = parseCommand()
let exitKind = (command as? any CloudCommand).map { type(of: $0).exitKind } ?? .other
if let deadline = (command as? any CloudCommand)?.overallDeadline {
    // Whatever the command waits for, it ends by then, as "unreachable" (restore: 255 in targeted
    // recovery): nothing was reported as done, and leftovers are removed by the next run.
    let seconds = deadline.components.seconds
    let status = ExitStatus.code(for: StorageError(.unreachable, ""), command: exitKind)
    cloudwal_arm_deadline(
        UInt32(clamping: seconds), status,
        "\(invokedAs): ERROR: gave up after the overall deadline of \(seconds) s (--deadline)")
}
do {
    // Concrete dispatch: through the existential, Swift would pick ParsableCommand's synchronous run().
    switch command {
    case let command as any CloudCommand: try await command.execute()
    default:
        // ArgumentParser's own commands (help): their outcomes are parser outcomes.
        var other = command
        do { try other.run() } catch { exitForParserOutcome(error) }
    }
    exit(ExitStatusPolicy.success)
} catch let exitCode as ExitCode {
    // A command that already said what it had to say and chose its status.
    exit(exitCode.rawValue)
} catch {
    // Every other error, ours or not, goes through the one classification: an error nobody
    // classified is a failure (restore: 4, or 255 in targeted recovery), never "not found".
    let line = "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    writeStandardError("\(invokedAs): ERROR: \(line)")
    exit(ExitStatus.code(for: error, command: exitKind))
}
