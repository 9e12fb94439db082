import Foundation
import Testing

/// The commands the fault matrix drives.
enum FaultCommand: String, Sendable, CaseIterable {
    case archive = "wal-archive"
    case restore = "wal-restore"
    case restoreParallel = "wal-restore -p"
    /// `wal-restore` run where PostgreSQL runs it during targeted recovery (recovery.signal in the
    /// working directory): every failure but "not found" must be 255 there.
    case restoreInRecovery = "wal-restore (recovery)"
    case backupList = "backup-list"
}

/// One fault of the matrix: a proxy action aimed at one kind of request.
struct FaultCase: Sendable {
    let name: String
    let target: FaultTarget
    let action: FaultRule.Action
    var status: Int?
    var body: String?
    var headers: [String: String]?
    var after: Int?
    var offset: Int?
    var forward: Bool?
    /// Fires on every matching request (no retry can get through), not just the first.
    var persistent = false
    /// A corrupt body may be refused (exit 4, nothing written) instead of retried.
    var mayRefuseAsCorrupt = false

    /// The request reaches the store (the object may exist although the command failed).
    var storeSeesIt: Bool {
        switch action {
        case .respond, .resetRequestBody: return false
        case .resetBeforeHead, .stallHead: return forward ?? false
        default: return true
        }
    }

    func rule(id: String, method: String, path: String) -> FaultRule {
        var rule = FaultRule(id: id, method: method, path: path, action: action)
        rule.times = persistent ? 0 : 1
        rule.status = status
        rule.body = body
        rule.headers = headers
        rule.after = after
        rule.offset = offset
        rule.forward = forward
        return rule
    }
}

/// A fault, a command, a backend: one cell of the matrix.
struct FaultScenario: Sendable, CustomTestStringConvertible {
    let fault: FaultCase
    let command: FaultCommand
    let backend: FaultBackendKind

    var testDescription: String { "\(fault.target.rawValue): \(fault.name) / \(command.rawValue)" }

    /// What must happen: 0 after a fault a retry gets past; 2 (255 in targeted recovery) when
    /// every attempt meets it.
    var expectedStatus: Int32 {
        guard fault.persistent else { return 0 }
        return command == .restoreInRecovery ? 255 : 2
    }

    static let slowDown = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
        + "<Message>Please reduce your request rate.</Message></Error>"
    static let internalError = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code>"
        + "<Message>We encountered an internal error. Please try again.</Message></Error>"

    static let uploadFaults: [FaultCase] = [
        FaultCase(name: "500 once", target: .upload, action: .respond, status: 500, body: internalError),
        FaultCase(name: "503 SlowDown once", target: .upload, action: .respond, status: 503, body: slowDown),
        FaultCase(name: "429 once", target: .upload, action: .respond, status: 429, body: slowDown,
                  headers: ["Retry-After": "1"]),
        FaultCase(name: "reset before head", target: .upload, action: .resetBeforeHead),
        FaultCase(name: "reset during request body", target: .upload, action: .resetRequestBody, after: 100_000),
        FaultCase(name: "reset after response", target: .upload, action: .resetAfterBody),
        FaultCase(name: "reply dropped after store", target: .upload, action: .dropReply),
        FaultCase(name: "reset after store, before head", target: .upload, action: .resetBeforeHead, forward: true),
        FaultCase(name: "stall before head", target: .upload, action: .stallHead),
        FaultCase(name: "stall after stored PUT", target: .upload, action: .stallHead, forward: true),
        FaultCase(name: "503 always", target: .upload, action: .respond, status: 503, body: slowDown, persistent: true),
        FaultCase(name: "stall always", target: .upload, action: .stallHead, persistent: true),
        FaultCase(name: "stall after stored PUT, always", target: .upload, action: .stallHead, forward: true,
                  persistent: true),
    ]

    /// Only GCS answers an upload with a body (the object resource), so only there can it be cut.
    static let uploadReplyBodyFaults: [FaultCase] = [
        FaultCase(name: "upload reply truncated", target: .upload, action: .truncate, after: 20),
        FaultCase(name: "upload reply stalls mid-body", target: .upload, action: .stallMidBody, after: 20),
    ]

    /// Only stores that check a body's checksum can refuse a damaged upload (moto and
    /// fake-gcs-server store it as sent, see test-infra.md).
    static let uploadCorruption = FaultCase(name: "request body corrupted", target: .upload,
                                            action: .corruptRequest, offset: 4096)

    static let downloadFaults: [FaultCase] = [
        FaultCase(name: "500 once", target: .download, action: .respond, status: 500, body: internalError),
        FaultCase(name: "503 SlowDown once", target: .download, action: .respond, status: 503, body: slowDown),
        FaultCase(name: "reset before head", target: .download, action: .resetBeforeHead),
        FaultCase(name: "reset mid-body", target: .download, action: .resetMidBody, after: 300_000),
        FaultCase(name: "truncated body", target: .download, action: .truncate, after: 300_000),
        FaultCase(name: "corrupt byte", target: .download, action: .corrupt, offset: 200_001, mayRefuseAsCorrupt: true),
        FaultCase(name: "stall before head", target: .download, action: .stallHead),
        FaultCase(name: "stall mid-body", target: .download, action: .stallMidBody, after: 300_000),
        FaultCase(name: "reset mid-body always", target: .download, action: .resetMidBody, after: 300_000,
                  persistent: true),
        FaultCase(name: "stall mid-body always", target: .download, action: .stallMidBody, after: 300_000,
                  persistent: true),
    ]

    static let listFaults: [FaultCase] = [
        FaultCase(name: "503 SlowDown once", target: .list, action: .respond, status: 503, body: slowDown),
        FaultCase(name: "reset mid-body", target: .list, action: .resetMidBody, after: 40),
        FaultCase(name: "truncated body", target: .list, action: .truncate, after: 40),
        FaultCase(name: "stall mid-body", target: .list, action: .stallMidBody, after: 40),
        FaultCase(name: "stall mid-body always", target: .list, action: .stallMidBody, after: 40, persistent: true),
    ]

    static func all(for backend: FaultBackendKind) -> [FaultScenario] {
        var faults = uploadFaults + downloadFaults + listFaults
        if backend == .gcs { faults += uploadReplyBodyFaults }
        if backend == .seaweedfs || backend == .azure { faults.append(uploadCorruption) }
        var scenarios: [FaultScenario] = []
        for fault in faults {
            let commands: [FaultCommand]
            switch fault.target {
            case .upload: commands = [.archive]
            case .download: commands = fault.persistent && fault.action == .stallMidBody
                ? [.restore, .restoreParallel, .restoreInRecovery] : [.restore, .restoreParallel]
            case .list: commands = fault.persistent ? [.restore, .restoreInRecovery, .backupList]
                : [.restore, .restoreParallel, .backupList]
            }
            scenarios += commands.map { FaultScenario(fault: fault, command: $0, backend: backend) }
        }
        return scenarios
    }
}
